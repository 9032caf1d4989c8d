import type { DeadlineScheduler, ScheduledDeadline, SchedulerCounts } from '../../apps/deadlines/src/scheduler/deadline-scheduler.js';
import type { FireDeadlineUseCase, Judgements } from '../../apps/deadlines/src/usecases/fire-deadline/fire-deadline.usecase.js';
import type { DueSweeper } from '../../apps/deadlines/src/usecases/fire-deadline/due-sweeper.js';

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

export interface JudgementLog {
  /** Judgement transactions that judged at least one deadline, by kind. */
  sweeps: number;
  named: number;
  /** Deadlines judged (MISSED or DECIDED). */
  judged: number;
  /** Wall-clock seconds inside judgement transactions (overlapping ones add up). */
  seconds: number;
  /** Sums over those transactions, ms. */
  phases: Judgements['phases'];
  /** Commit time (ms) of every judged deadline. */
  committedAt: Map<string, number>;
}

/** Records every judgement transaction of the real use case: what it judged, when it committed, where its time went. */
export function logJudgements(fire: FireDeadlineUseCase): JudgementLog {
  const log: JudgementLog = { sweeps: 0, named: 0, judged: 0, seconds: 0, phases: { lock: 0, read: 0, engine: 0, write: 0, commit: 0 }, committedAt: new Map() };
  const record = (kind: 'sweeps' | 'named', started: number, judgements: Judgements) => {
    if (judgements.dueMs.size === 0) return;
    log[kind] += 1;
    log.judged += judgements.dueMs.size;
    log.seconds += (performance.now() - started) / 1000;
    for (const key of Object.keys(log.phases) as (keyof Judgements['phases'])[]) log.phases[key] += judgements.phases[key];
    for (const id of judgements.dueMs.keys()) log.committedAt.set(id, judgements.committedAtMs);
  };
  const sweep = fire.sweep.bind(fire);
  fire.sweep = async (limit: number, excluded?: string[]) => {
    const started = performance.now();
    const judgements = await sweep(limit, excluded);
    record('sweeps', started, judgements);
    return judgements;
  };
  const executeMany = fire.executeMany.bind(fire);
  fire.executeMany = async (ids: string[]) => {
    const started = performance.now();
    const judgements = await executeMany(ids);
    record('named', started, judgements);
    return judgements;
  };
  return log;
}

/** When each timer job was taken up by the worker (its call into the sweeper), by deadline id (first run). */
export function logPickups(sweeper: DueSweeper): Map<string, number> {
  const pickedUp = new Map<string, number>();
  const fire = sweeper.fire.bind(sweeper);
  sweeper.fire = (deadlineId: string) => {
    if (!pickedUp.has(deadlineId)) pickedUp.set(deadlineId, Date.now());
    return fire(deadlineId);
  };
  return pickedUp;
}
