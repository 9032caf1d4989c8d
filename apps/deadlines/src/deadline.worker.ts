import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_ENV, type AppEnv } from '#config';
import { DEADLINE_QUEUE, type DeadlineJobData } from './scheduler/bullmq-deadline-scheduler.js';
import { FireDeadlineUseCase, type FireOutcome } from './usecases/fire-deadline/fire-deadline.usecase.js';
import { FireBatcher } from './usecases/fire-deadline/fire-batcher.js';
import { DeadlinesMetrics } from './deadlines.metrics.js';
import { REDIS } from './redis.provider.js';

/** Judgement transactions open at once: one being written while the next batch of fired timers gathers. */
const JUDGEMENTS_IN_FLIGHT = 2;
/** A timer whose judgement failed (PostgreSQL down, …) is retried with exponential backoff up to this. */
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Runs due timers. Up to DEADLINE_CONCURRENCY jobs are taken at once and judged in batches (FireBatcher); a
 * job stays active until its judgement has committed, so a process killed mid-run leaves it to BullMQ's
 * stalled-job check, which runs it again — harmless, the deadline is then no longer pending. A timer is never
 * given up on: a failed judgement is retried later, since the deadline stays pending in PostgreSQL.
 */
@Injectable()
export class DeadlineWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeadlineWorker.name);
  private worker: Worker<DeadlineJobData> | null = null;
  private connection: Redis | null = null;

  constructor(
    private readonly fire: FireDeadlineUseCase,
    private readonly metrics: DeadlinesMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_ENV) private readonly env: AppEnv,
  ) {}

  onApplicationBootstrap(): void {
    const concurrency = this.env.DEADLINE_CONCURRENCY;
    const batcher = new FireBatcher((ids) => this.fire.executeMany(ids), concurrency, JUDGEMENTS_IN_FLIGHT);
    this.connection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.worker = new Worker<DeadlineJobData>(DEADLINE_QUEUE, (job, token) => this.process(batcher, job, token), {
      connection: this.connection,
      concurrency,
      stalledInterval: 5000,
      lockDuration: 30_000,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 1000 },
    });
    this.worker.on('error', (error) => this.log.error(`worker error: ${error.message}`));
  }

  private async process(batcher: FireBatcher, job: Job<DeadlineJobData>, token?: string): Promise<string> {
    let outcome: FireOutcome;
    try {
      outcome = await batcher.fire(job.id!);
    } catch (error) {
      const retryIn = Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.min(job.attemptsStarted, 16));
      this.log.warn(`deadline ${job.id}: judgement failed, retrying in ${retryIn} ms: ${(error as Error).message}`);
      this.metrics.fired.inc({ outcome: 'ERROR', rule: '' });
      return this.delay(job, Date.now() + retryIn, token);
    }
    if (outcome.kind === 'WAIT') return this.delay(job, outcome.untilMs, token);
    this.metrics.fired.inc({ outcome: outcome.kind, rule: outcome.kind === 'MISSED' ? outcome.rule : '' });
    if (outcome.kind !== 'STALE') this.metrics.lateness.observe(Math.max(0, Date.now() - Date.parse(outcome.dueAt)) / 1000);
    return outcome.kind;
  }

  /** Puts the job back among the delayed ones until `untilMs` (BullMQ's way: move, then throw DelayedError). */
  private async delay(job: Job<DeadlineJobData>, untilMs: number, token?: string): Promise<never> {
    await job.moveToDelayed(untilMs, token);
    throw new DelayedError();
  }

  async onApplicationShutdown(): Promise<void> {
    // Lets running jobs finish; a job cut off anyway is run again after the stalled-job check.
    await this.worker?.close();
    this.connection?.disconnect();
  }
}
