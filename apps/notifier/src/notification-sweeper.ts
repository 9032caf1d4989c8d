import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock, type NotifierEnv } from '#config';
import { InjectPinoLogger, PinoLogger } from '#observability';
import { DELIVERABLE_STATUSES } from './delivery/notification-row.js';
import { NOTIFIER_ENV } from './notifier.env.js';
import { DeliverNotificationUseCase } from './usecases/deliver-notification/deliver-notification.usecase.js';
import { RecordHandheldSmsUseCase } from './usecases/record-handheld-sms/record-handheld-sms.usecase.js';

/** Rows taken per sweep; a full batch means more are due, and the next sweep starts at once. */
const SWEEP_BATCH = 200;

/**
 * The notification table is the queue of record: intents from Kafka only make delivery prompt. The sweeper
 * delivers whatever is due there — retries after backoff, SMS held through quiet hours, rows left SENDING by a
 * crash once their lease ends, rows whose intent was lost — and publishes the SMS that handhelds sent.
 */
@Injectable()
export class NotificationSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deliver: DeliverNotificationUseCase,
    private readonly handheld: RecordHandheldSmsUseCase,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFIER_ENV) private readonly env: NotifierEnv,
    @InjectPinoLogger(NotificationSweeper.name) private readonly log: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        busy = (await this.sweepOnce()) >= SWEEP_BATCH;
      } catch (error) {
        this.log.error({ error: (error as Error).message }, 'notification sweep failed');
      }
      if (!busy && this.running) await this.pause(this.env.NOTIFY_SWEEP_INTERVAL_MS);
    }
  }

  /** One pass: due deliveries, then handheld SMS to publish. Returns the larger of the two batch sizes. */
  async sweepOnce(): Promise<number> {
    const due: { notification_id: string }[] = await this.dataSource.query(
      `SELECT notification_id FROM notification WHERE status = ANY($1::text[]) AND next_attempt_at <= $2
       ORDER BY next_attempt_at LIMIT $3`,
      [DELIVERABLE_STATUSES, this.clock.now(), SWEEP_BATCH],
    );
    const concurrency = this.env.NOTIFY_CONCURRENCY;
    await forEachConcurrently(due.map((r) => r.notification_id), concurrency, (id) => this.deliver.execute(id), this.onItemError);
    const recorded = await this.handheld.pending(SWEEP_BATCH);
    await forEachConcurrently(recorded, concurrency, (id) => this.handheld.execute(id), this.onItemError);
    return Math.max(due.length, recorded.length);
  }

  private readonly onItemError = (id: string, error: unknown): void => {
    // The row stays due (or SENDING until its lease ends): a later sweep picks it up again.
    this.log.error({ notificationId: id, error: (error as Error).message }, 'notification delivery errored');
  };

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.wake = null));
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }
}

/**
 * Runs `work` over the ids with at most `concurrency` in flight. An item's failure goes to `onError` and does
 * not stop the others: every id is independent, and the table keeps what failed due.
 */
export async function forEachConcurrently<T>(
  ids: readonly string[],
  concurrency: number,
  work: (id: string) => Promise<T>,
  onError: (id: string, error: unknown) => void,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        await work(id);
      } catch (error) {
        onError(id, error);
      }
    }
  });
  await Promise.all(lanes);
}
