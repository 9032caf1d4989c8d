import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import { APP_ENV, type AppEnv } from '#config';
import { DEADLINE_SCHEDULER, type DeadlineScheduler } from './scheduler/deadline-scheduler.js';
import { ReconcileUseCase } from './usecases/reconcile/reconcile.usecase.js';
import { DeadlinesMetrics } from './deadlines.metrics.js';
import { REDIS, checkEvictionPolicy } from './redis.provider.js';

/**
 * Written by every reconcile; its absence means Redis lost its data without the connection dropping (FLUSHALL, a
 * failover to a replica that had not synced, a restore): the timers are gone although Redis looks healthy.
 */
export const REDIS_KEPT_KEY = 'courier:deadlines:redis-kept';
/** How often that is checked: one EXISTS. */
const REDIS_LOSS_CHECK_MS = 5000;

/** Start-up checks, the periodic reconciler, the Redis-loss check and the overdue gauges. */
@Injectable()
export class DeadlinesMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeadlinesMaintenance.name);
  private timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<unknown> | null = null;
  private reconcileAgain = false;
  private stopped = false;

  constructor(
    private readonly reconcile: ReconcileUseCase,
    private readonly dataSource: DataSource,
    private readonly metrics: DeadlinesMetrics,
    @Inject(DEADLINE_SCHEDULER) private readonly scheduler: DeadlineScheduler,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_ENV) private readonly env: AppEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await checkEvictionPolicy(this.redis, this.env);
    this.runReconcile();
    this.timers.push(setInterval(() => this.runReconcile(), this.env.RECONCILE_INTERVAL_SECONDS * 1000));
    this.timers.push(setInterval(() => void this.refreshGauges().catch(() => undefined), 10_000));
    this.timers.push(setInterval(() => void this.checkRedisKept(), REDIS_LOSS_CHECK_MS));
    // A Redis restart loses every timer (nothing is kept on disk here): reconcile as soon as it is back.
    this.redis.on('ready', () => this.runReconcile());
  }

  /**
   * Starts a reconcile, or — when one is running — one more right after it: a Redis restart in the middle of a
   * run may have emptied pages that run has already checked.
   */
  runReconcile(): Promise<unknown> {
    if (this.reconciling) {
      this.reconcileAgain = !this.stopped;
      return this.reconciling;
    }
    // Sent before the reconcile's own commands on the same connection: a loss during the run is seen afterwards.
    void this.markRedisKept();
    this.reconciling = this.reconcile
      .execute()
      .then((report) => {
        this.metrics.reconcile.inc({ kind: 'rearmed' }, report.rearmed);
        this.metrics.reconcile.inc({ kind: 'orphans' }, report.orphansRemoved);
        return report;
      })
      .catch((error: Error) => this.log.error(`reconcile failed: ${error.message}`))
      .finally(() => {
        this.reconciling = null;
        if (this.reconcileAgain && !this.stopped) {
          this.reconcileAgain = false;
          void this.runReconcile();
        }
      });
    return this.reconciling;
  }

  private async markRedisKept(): Promise<void> {
    try {
      await this.redis.set(REDIS_KEPT_KEY, new Date().toISOString());
    } catch {
      // Redis is down: the reconcile fails too, and runs again when Redis is back.
    }
  }

  /** Reconciles at once when the marker of the last reconcile is gone: Redis lost its data under a live connection. */
  async checkRedisKept(): Promise<void> {
    if (this.stopped) return;
    try {
      if ((await this.redis.exists(REDIS_KEPT_KEY)) === 0) {
        this.log.warn('Redis has lost its data (the reconcile marker is gone): re-arming every pending deadline');
        void this.runReconcile();
      }
    } catch {
      // Redis unreachable: the reconcile on reconnect covers it.
    }
  }

  async refreshGauges(): Promise<void> {
    const counts = await this.scheduler.counts();
    for (const [state, value] of Object.entries(counts)) this.metrics.timers.set({ state }, value);
    // The case's OVERDUE flags are the engine's standing liabilities: retractions and HQ cancellations drop out.
    const rows: { rule: string; case_class: string; site: string; party: string; n: number }[] = await this.dataSource.query(
      `SELECT o->>'rule' AS rule, c.case_class, coalesce(o->>'siteCode', '') AS site, o->>'party' AS party, count(*)::int AS n
       FROM problem_case c CROSS JOIN LATERAL jsonb_array_elements(c.snapshot->'flags'->'overdue') AS o
       WHERE c.overdue AND c.state NOT IN ('RESOLVED', 'CLOSED')
       GROUP BY 1, 2, 3, 4`,
    );
    this.metrics.overdue.reset();
    for (const r of rows) this.metrics.overdue.set({ rule: r.rule, case_class: r.case_class, site: r.site, party: r.party }, r.n);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await this.reconciling;
  }
}
