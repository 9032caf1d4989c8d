import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeadlineScheduler, ScheduledDeadline, SchedulerCounts } from './deadline-scheduler.js';

export const DEADLINE_QUEUE = 'deadlines';

/** Job payload kept minimal (the id is the deadline id; PostgreSQL has the rest): Redis bytes per job matter at 1M. */
export interface DeadlineJobData {
  due: string;
}

const JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: { count: 10_000 },
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
};

export class BullMqDeadlineScheduler implements DeadlineScheduler {
  constructor(
    readonly queue: Queue<DeadlineJobData>,
    private readonly redis: Redis,
    private readonly now: () => number,
  ) {}

  static create(redis: Redis, now: () => number, prefix = 'bull'): BullMqDeadlineScheduler {
    return new BullMqDeadlineScheduler(new Queue<DeadlineJobData>(DEADLINE_QUEUE, { connection: redis, prefix }), redis, now);
  }

  async arm(deadlines: ScheduledDeadline[]): Promise<void> {
    const now = this.now();
    for (let i = 0; i < deadlines.length; i += 5000) {
      await this.queue.addBulk(
        deadlines.slice(i, i + 5000).map((d) => ({
          name: 'due',
          data: { due: d.dueAt },
          opts: { ...JOB_OPTIONS, jobId: d.deadlineId, delay: Math.max(0, Date.parse(d.dueAt) - now) },
        })),
      );
    }
  }

  async move(deadlines: ScheduledDeadline[]): Promise<void> {
    // Remove-then-add: a job id can only be re-added once the old job is gone.
    await this.cancel(deadlines.map((d) => d.deadlineId));
    await this.arm(deadlines);
  }

  async cancel(deadlineIds: string[]): Promise<void> {
    for (const id of deadlineIds) {
      // A job being processed right now cannot be removed; its run will find the deadline no longer pending.
      await this.queue.remove(id).catch(() => 0);
    }
  }

  async missing(deadlineIds: string[]): Promise<string[]> {
    if (deadlineIds.length === 0) return [];
    const prefix = `${this.queue.opts.prefix ?? 'bull'}:${DEADLINE_QUEUE}:`;
    const pipeline = this.redis.pipeline();
    for (const id of deadlineIds) pipeline.exists(prefix + id);
    const results = (await pipeline.exec()) ?? [];
    return deadlineIds.filter((_, i) => results[i]?.[1] !== 1);
  }

  async *scheduledIds(pageSize: number): AsyncIterable<string[]> {
    for (const state of ['delayed', 'wait', 'paused', 'prioritized'] as const) {
      const key = `${this.queue.opts.prefix ?? 'bull'}:${DEADLINE_QUEUE}:${state}`;
      const type = await this.redis.type(key);
      if (type === 'zset') {
        let cursor = '0';
        do {
          const [next, flat] = await this.redis.zscan(key, cursor, 'COUNT', pageSize);
          cursor = next;
          const ids = flat.filter((_, i) => i % 2 === 0);
          if (ids.length) yield ids;
        } while (cursor !== '0');
      } else if (type === 'list') {
        const length = await this.redis.llen(key);
        for (let start = 0; start < length; start += pageSize) {
          const ids = await this.redis.lrange(key, start, start + pageSize - 1);
          if (ids.length) yield ids;
        }
      }
    }
  }

  async counts(): Promise<SchedulerCounts> {
    const c = await this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
    return { delayed: c.delayed ?? 0, waiting: c.waiting ?? 0, active: c.active ?? 0, failed: c.failed ?? 0 };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
