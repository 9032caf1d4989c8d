import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEADLINE_QUEUE } from '#config';
import type { DeadlineScheduler, ScheduledDeadline, SchedulerCounts } from './deadline-scheduler.js';
import { ARM_DEADLINES_LUA, CANCEL_DELAYED_TIMERS_LUA, LIVE_TIMERS_LUA } from './arm-deadlines.script.js';

export { DEADLINE_QUEUE };

/**
 * A timer job carries nothing but its id, which is the deadline id. PostgreSQL holds the rest, the due time
 * included: a job that wakes up before its deadline's (moved) due time is re-timed from the row, one whose
 * deadline is no longer pending is a no-op. That keeps a job at ~400 bytes of Redis memory.
 */
export type DeadlineJobData = Record<string, never>;

/** Timers per Redis call: large enough to amortise the round trip, small enough to keep each call ~10 ms. */
const ARM_CHUNK = 1000;
const CHECK_CHUNK = 5000;
const CANCEL_IN_FLIGHT = 200;

interface DeadlineCommands {
  armDeadlineTimers(delayedKey: string, markerKey: string, ...args: (string | number)[]): Promise<[number, string[]]>;
  liveDeadlineTimers(...args: string[]): Promise<number[]>;
  cancelDelayedTimers(delayedKey: string, ...args: string[]): Promise<string[]>;
}

export class BullMqDeadlineScheduler implements DeadlineScheduler {
  private readonly commands: DeadlineCommands;
  private readonly jobKeyPrefix: string;

  constructor(
    readonly queue: Queue<DeadlineJobData>,
    private readonly redis: Redis,
    private readonly now: () => number,
  ) {
    // defineCommand runs the scripts by SHA and reloads them after a Redis restart (NOSCRIPT).
    redis.defineCommand('armDeadlineTimers', { numberOfKeys: 2, lua: ARM_DEADLINES_LUA });
    redis.defineCommand('liveDeadlineTimers', { numberOfKeys: 0, lua: LIVE_TIMERS_LUA });
    redis.defineCommand('cancelDelayedTimers', { numberOfKeys: 1, lua: CANCEL_DELAYED_TIMERS_LUA });
    this.commands = redis as unknown as DeadlineCommands;
    this.jobKeyPrefix = queue.toKey('');
  }

  static create(redis: Redis, now: () => number, prefix = 'bull'): BullMqDeadlineScheduler {
    return new BullMqDeadlineScheduler(new Queue<DeadlineJobData>(DEADLINE_QUEUE, { connection: redis, prefix }), redis, now);
  }

  /** Idempotent: a deadline that has a live timer keeps it. A finished job left under its id is replaced. */
  async arm(deadlines: ScheduledDeadline[]): Promise<number> {
    let armed = 0;
    const now = this.now();
    for (let i = 0; i < deadlines.length; i += ARM_CHUNK) {
      const args: (string | number)[] = [this.jobKeyPrefix, now];
      for (const d of deadlines.slice(i, i + ARM_CHUNK)) args.push(d.deadlineId, Date.parse(d.dueAt));
      const [count, finished] = await this.commands.armDeadlineTimers(this.queue.keys.delayed, this.queue.keys.marker, ...args);
      armed += count;
      if (finished.length > 0) {
        await this.cancel(finished);
        const again = new Set(finished);
        armed += await this.arm(deadlines.slice(i, i + ARM_CHUNK).filter((d) => again.has(d.deadlineId)));
      }
    }
    return armed;
  }

  async move(deadlines: ScheduledDeadline[]): Promise<void> {
    // Remove-then-add: a job id can only be re-added once the old job is gone. A job running right now
    // cannot be removed; its run re-reads the due time from PostgreSQL and re-times itself.
    await this.cancel(deadlines.map((d) => d.deadlineId));
    await this.arm(deadlines);
  }

  async cancel(deadlineIds: string[]): Promise<void> {
    const others: string[] = [];
    for (let i = 0; i < deadlineIds.length; i += ARM_CHUNK) {
      others.push(...(await this.commands.cancelDelayedTimers(this.queue.keys.delayed, this.jobKeyPrefix, ...deadlineIds.slice(i, i + ARM_CHUNK))));
    }
    for (let i = 0; i < others.length; i += CANCEL_IN_FLIGHT) {
      // Returns 0 for a job being processed right now: its run will find the deadline no longer pending.
      await Promise.all(others.slice(i, i + CANCEL_IN_FLIGHT).map((id) => this.queue.remove(id)));
    }
  }

  async missing(deadlineIds: string[]): Promise<string[]> {
    const missing: string[] = [];
    for (let i = 0; i < deadlineIds.length; i += CHECK_CHUNK) {
      const chunk = deadlineIds.slice(i, i + CHECK_CHUNK);
      const live = await this.commands.liveDeadlineTimers(this.jobKeyPrefix, ...chunk);
      chunk.forEach((id, j) => {
        if (live[j] !== 1) missing.push(id);
      });
    }
    return missing;
  }

  async *scheduledIds(pageSize: number): AsyncIterable<string[]> {
    for (const state of ['delayed', 'wait', 'paused', 'prioritized'] as const) {
      const key = this.queue.toKey(state);
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
