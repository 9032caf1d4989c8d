import type { DeadlineScheduler, ScheduledDeadline, SchedulerCounts } from '../../apps/deadlines/src/scheduler/deadline-scheduler.js';
import type { FireDeadlineUseCase, FireOutcome } from '../../apps/deadlines/src/usecases/fire-deadline/fire-deadline.usecase.js';

/** Wall-clock seconds spent in each scheduler call: what is left of a reconcile is PostgreSQL and the loop. */
export class TimedScheduler implements DeadlineScheduler {
  readonly seconds = { arm: 0, missing: 0, scheduledIds: 0, cancel: 0 };

  constructor(private readonly inner: DeadlineScheduler) {}

  private async time<T>(key: keyof TimedScheduler['seconds'], work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.seconds[key] += (performance.now() - started) / 1000;
    }
  }

  arm(deadlines: ScheduledDeadline[]): Promise<number> {
    return this.time('arm', () => this.inner.arm(deadlines));
  }

  move(deadlines: ScheduledDeadline[]): Promise<void> {
    return this.time('arm', () => this.inner.move(deadlines));
  }

  cancel(deadlineIds: string[]): Promise<void> {
    return this.time('cancel', () => this.inner.cancel(deadlineIds));
  }

  missing(deadlineIds: string[]): Promise<string[]> {
    return this.time('missing', () => this.inner.missing(deadlineIds));
  }

  async *scheduledIds(pageSize: number): AsyncIterable<string[]> {
    const pages = this.inner.scheduledIds(pageSize)[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.time('scheduledIds', () => pages.next());
      if (next.done) return;
      yield next.value;
    }
  }

  counts(): Promise<SchedulerCounts> {
    return this.inner.counts();
  }
}

/** Counts the judgement transactions of the real use case and the time spent in them. */
export function timeJudgements(fire: FireDeadlineUseCase): { batches: number; deadlines: number; seconds: number } {
  const stats = { batches: 0, deadlines: 0, seconds: 0 };
  const judge = fire.executeMany.bind(fire);
  fire.executeMany = async (ids: string[]): Promise<Map<string, FireOutcome>> => {
    const started = performance.now();
    try {
      return await judge(ids);
    } finally {
      stats.batches += 1;
      stats.deadlines += ids.length;
      stats.seconds += (performance.now() - started) / 1000;
    }
  };
  return stats;
}
