import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_ENV, TOPICS, type AppEnv, type TopicRole, type Topics } from '#config';
import { OutboxRepository, type PendingOutboxRow } from '#persistence';
import { KafkaProducer } from './kafka-producer.js';

/**
 * Publishes outbox rows to Kafka after their transaction committed. Polls when idle and loops
 * without pause while there is a backlog; stops cleanly on shutdown (a half-published batch is
 * published again by the next relay).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(OutboxRelay.name);
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  published = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly producer: KafkaProducer,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Lets a writer say "there is something new" so the relay does not wait for its next poll. */
  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    await this.producer.connect();
    while (this.running) {
      try {
        const count = await this.outbox.relayOnce(1000, (rows) => this.publish(rows));
        this.published += count;
        if (count > 0) continue;
      } catch (error) {
        this.log.error(`outbox relay failed, retrying: ${(error as Error).message}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.env.OUTBOX_POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async publish(rows: PendingOutboxRow[]): Promise<void> {
    await this.producer.send(
      rows.map((row) => {
        const topic = this.topics[row.topicRole as TopicRole];
        if (!topic) throw new Error(`outbox row ${row.id}: unknown topic role "${row.topicRole}"`);
        return { topic, key: row.key, value: row.value };
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }
}
