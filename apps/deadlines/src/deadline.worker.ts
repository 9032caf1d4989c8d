import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_ENV, type AppEnv } from '#config';
import { DEADLINE_QUEUE, type DeadlineJobData } from './scheduler/bullmq-deadline-scheduler.js';
import { FireDeadlineUseCase } from './usecases/fire-deadline/fire-deadline.usecase.js';
import { DeadlinesMetrics } from './deadlines.metrics.js';
import { REDIS } from './redis.provider.js';

/** Runs due timers. A job killed mid-run is picked up again by BullMQ's stalled-job check; the use case makes that harmless. */
@Injectable()
export class DeadlineWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeadlineWorker.name);
  private worker: Worker<DeadlineJobData> | null = null;

  constructor(
    private readonly fire: FireDeadlineUseCase,
    private readonly metrics: DeadlinesMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_ENV) private readonly env: AppEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<DeadlineJobData>(DEADLINE_QUEUE, (job, token) => this.process(job, token), {
      connection: this.redis.duplicate({ maxRetriesPerRequest: null }),
      concurrency: this.env.DEADLINE_CONCURRENCY,
      stalledInterval: 5000,
      lockDuration: 30_000,
    });
    this.worker.on('failed', (job, error) => this.log.warn(`deadline ${job?.id} failed: ${error.message}`));
    this.worker.on('error', (error) => this.log.error(`worker error: ${error.message}`));
  }

  private async process(job: Job<DeadlineJobData>, token?: string): Promise<string> {
    const outcome = await this.fire.execute(job.id!, job.data.due);
    if (outcome.kind === 'WAIT') {
      await job.moveToDelayed(outcome.untilMs, token);
      throw new DelayedError();
    }
    this.metrics.fired.inc({ outcome: outcome.kind, rule: outcome.kind === 'MISSED' ? outcome.rule : '' });
    this.metrics.lateness.observe(Math.max(0, Date.now() - Date.parse(job.data.due)) / 1000);
    return outcome.kind;
  }

  async onApplicationShutdown(): Promise<void> {
    // Lets running jobs finish; a job cut off anyway is retried after the stalled interval.
    await this.worker?.close();
  }
}
