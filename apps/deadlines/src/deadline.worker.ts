import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_ENV, type AppEnv } from '#config';
import { DEADLINE_QUEUE, type DeadlineJobData } from './scheduler/bullmq-deadline-scheduler.js';
import { FireDeadlineUseCase, type FireOutcome, type Judgements } from './usecases/fire-deadline/fire-deadline.usecase.js';
import { DueSweeper } from './usecases/fire-deadline/due-sweeper.js';
import { DeadlinesMetrics } from './deadlines.metrics.js';
import { REDIS } from './redis.provider.js';

/** Due deadlines claimed and judged per sweep transaction. */
const SWEEP_LIMIT = 500;
/** Sweep transactions open at once: one being written by PostgreSQL while the engine judges the next. */
const SWEEPS_IN_FLIGHT = 2;
/** Deadlines per transaction when judging named ones. */
const TARGETED_BATCH = 100;
/** A deadline that cannot be judged on its own is left out of sweeps this long (its own job keeps retrying). */
const QUARANTINE_MS = 300_000;
/** A timer whose judgement failed (PostgreSQL down, …) is retried with exponential backoff up to this. */
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Runs due timers. A job is a wake-up: the DueSweeper judges every deadline due by now in bulk sweeps, and the
 * jobs whose deadlines a sweep judged complete as no-ops. A job stays active until its deadline has been judged
 * (by whichever transaction) and committed, so a process killed mid-run leaves it to BullMQ's stalled-job check,
 * which runs it again — harmless, the deadline is then no longer pending. A timer is never given up on: a failed
 * judgement is retried later, since the deadline stays pending in PostgreSQL (and the reconciler re-arms a
 * pending deadline whose job went missing).
 */
@Injectable()
export class DeadlineWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeadlineWorker.name);
  private worker: Worker<DeadlineJobData> | null = null;
  private connection: Redis | null = null;
  /** Where every job's deadline is judged (public for the benchmark's instrumentation). */
  readonly sweeper: DueSweeper;

  constructor(
    fire: FireDeadlineUseCase,
    private readonly metrics: DeadlinesMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_ENV) private readonly env: AppEnv,
  ) {
    this.sweeper = new DueSweeper(fire, {
      sweepLimit: SWEEP_LIMIT,
      sweepsInFlight: SWEEPS_IN_FLIGHT,
      targetedBatch: TARGETED_BATCH,
      quarantineMs: QUARANTINE_MS,
      onJudged: (judgements) => this.observe(judgements),
    });
  }

  onApplicationBootstrap(): void {
    const concurrency = this.env.DEADLINE_CONCURRENCY;
    this.connection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.worker = new Worker<DeadlineJobData>(DEADLINE_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      concurrency,
      stalledInterval: 5000,
      lockDuration: 30_000,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 1000 },
    });
    this.worker.on('error', (error) => this.log.error(`worker error: ${error.message}`));
  }

  private async process(job: Job<DeadlineJobData>, token?: string): Promise<string> {
    // A job's delay ends at its deadline's due time as armed: how late it was taken up (first run only).
    if (job.attemptsStarted <= 1) this.metrics.pickupLateness.observe(Math.max(0, Date.now() - job.timestamp - job.delay) / 1000);
    let outcome: FireOutcome;
    try {
      outcome = await this.sweeper.fire(job.id!);
    } catch (error) {
      const retryIn = Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.min(job.attemptsStarted, 16));
      this.log.warn(`deadline ${job.id}: judgement failed, retrying in ${retryIn} ms: ${(error as Error).message}`);
      this.metrics.fired.inc({ outcome: 'ERROR', rule: '' });
      return this.delay(job, Date.now() + retryIn, token);
    }
    if (outcome.kind === 'WAIT') {
      this.metrics.fired.inc({ outcome: 'WAIT', rule: '' });
      return this.delay(job, outcome.untilMs, token);
    }
    this.metrics.fired.inc({ outcome: outcome.kind, rule: outcome.kind === 'MISSED' ? outcome.rule : '' });
    return outcome.kind;
  }

  /** Judgement lateness: from a deadline's due time to the commit of the transaction that judged it. */
  private observe(judgements: Judgements): void {
    for (const [id, dueMs] of judgements.dueMs) {
      const outcome = judgements.outcomes.get(id);
      this.metrics.judged.inc({ outcome: outcome?.kind ?? '', rule: outcome?.kind === 'MISSED' ? outcome.rule : '' });
      this.metrics.lateness.observe(Math.max(0, judgements.committedAtMs - dueMs) / 1000);
    }
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
