import type { FireOutcome, Judgements, Standing } from './fire-deadline.usecase.js';
import { SweepFailed } from './fire-deadline.usecase.js';

/** What the sweeper needs of the judgement (FireDeadlineUseCase). */
export interface Judge {
  inspect(deadlineIds: string[]): Promise<Map<string, Standing>>;
  sweep(limit: number, excluded: string[]): Promise<Judgements>;
  executeMany(deadlineIds: string[]): Promise<Judgements>;
}

export interface SweeperOptions {
  /** Deadlines claimed and judged per sweep transaction. */
  sweepLimit: number;
  /** Sweep transactions open at once: one being written while the next is judged. */
  sweepsInFlight: number;
  /** Deadlines per transaction when judging named ones (what sweeps skipped, or a failed sweep's claim). */
  targetedBatch: number;
  /** How long a deadline that failed to be judged on its own is left out of sweeps. */
  quarantineMs: number;
  /** Called after every committed judgement transaction (metrics). */
  onJudged?: (judgements: Judgements) => void;
}

interface Waiter {
  deadlineId: string;
  resolve: (outcome: FireOutcome) => void;
  reject: (error: unknown) => void;
}

/** Outcomes kept for timers that arrive after a sweep judged their deadline (reported instead of STALE). */
const RECENT_OUTCOMES_KEPT = 200_000;

/**
 * Turns timer jobs into bulk judgements. Every job asks `fire(deadlineId)`. The timers that arrive together are
 * looked up in one query: those already judged, met or cancelled are STALE at once, those not due (or held back
 * by the event-time clock) WAIT. When any is due, sweeps run — each claims and judges, in one transaction, up to
 * `sweepLimit` pending deadlines due by now, earliest first — until the backlog is drained; a burst of 20 000
 * deadlines due in one second costs a handful of transactions, and the 20 000 jobs then complete as cheap no-ops.
 * Due timers no sweep claimed (their waybill was locked by ingest or by another deadline process) are judged by
 * name, waiting for the locks.
 *
 * A sweep that fails is re-judged by name in halves, down to the deadline at fault: that one's job sees the error
 * (and retries later), and sweeps leave it out for `quarantineMs`, so that it cannot hold back the others.
 */
export class DueSweeper {
  private readonly incoming: Waiter[] = [];
  private readonly recent = new Map<string, FireOutcome>();
  private readonly quarantine = new Map<string, number>();
  private running = false;

  constructor(
    private readonly judge: Judge,
    private readonly options: SweeperOptions,
    private readonly now: () => number = Date.now,
  ) {}

  fire(deadlineId: string): Promise<FireOutcome> {
    return new Promise<FireOutcome>((resolve, reject) => {
      this.incoming.push({ deadlineId, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.incoming.length > 0) {
        const batch = this.incoming.splice(0, this.incoming.length);
        const due = new Map<string, Waiter[]>();
        try {
          const standing = await this.judge.inspect([...new Set(batch.map((w) => w.deadlineId))]);
          for (const waiter of batch) {
            const s = standing.get(waiter.deadlineId) ?? { kind: 'STALE' };
            if (s.kind === 'DUE') due.set(waiter.deadlineId, [...(due.get(waiter.deadlineId) ?? []), waiter]);
            else waiter.resolve(s.kind === 'STALE' ? (this.recent.get(waiter.deadlineId) ?? s) : s);
          }
        } catch (error) {
          for (const waiter of batch) waiter.reject(error);
          continue;
        }
        try {
          if (due.size > 0) await this.judgeDue(due);
        } catch (error) {
          // Not expected (failed judgements are caught below): still, no job may be left waiting.
          for (const waiters of due.values()) for (const waiter of waiters) waiter.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async judgeDue(waiting: Map<string, Waiter[]>): Promise<void> {
    const failed = await this.drain(waiting);
    for (const failure of failed) await this.byName(failure.claimed, waiting);
    // Due, but claimed by no sweep: their waybills were locked, or they were left out.
    if (waiting.size > 0) await this.byName([...waiting.keys()], waiting);
  }

  /**
   * Sweeps until one claims less than a full batch: one at a time, `sweepsInFlight` at once as soon as one comes
   * back full (a burst). Returns the sweeps that failed.
   */
  private async drain(waiting: Map<string, Waiter[]>): Promise<SweepFailed[]> {
    const failed: SweepFailed[] = [];
    const inFlight = new Set<Promise<void>>();
    let more = true;
    let burst = false;
    while (more || inFlight.size > 0) {
      while (more && inFlight.size < (burst ? this.options.sweepsInFlight : 1)) {
        const sweep: Promise<void> = this.judge
          .sweep(this.options.sweepLimit, this.quarantined())
          .then(
            (judgements) => {
              this.settle(judgements, waiting);
              if (judgements.outcomes.size < this.options.sweepLimit) more = false;
              else burst = true;
            },
            (error: unknown) => {
              more = false;
              failed.push(error instanceof SweepFailed ? error : new SweepFailed([], error));
            },
          )
          .finally(() => inFlight.delete(sweep));
        inFlight.add(sweep);
      }
      await Promise.race(inFlight);
    }
    return failed;
  }

  /** Judges named deadlines in batches; a batch that fails is split until the deadline at fault stands alone. */
  private async byName(ids: string[], waiting: Map<string, Waiter[]>): Promise<void> {
    for (let i = 0; i < ids.length; i += this.options.targetedBatch) {
      await this.bisect(ids.slice(i, i + this.options.targetedBatch), waiting);
    }
  }

  private async bisect(ids: string[], waiting: Map<string, Waiter[]>): Promise<void> {
    if (ids.length === 0) return;
    try {
      const judgements = await this.judge.executeMany(ids);
      for (const id of ids) this.quarantine.delete(id);
      this.settle(judgements, waiting);
    } catch (error) {
      if (ids.length === 1) {
        this.quarantine.set(ids[0]!, this.now() + this.options.quarantineMs);
        for (const waiter of waiting.get(ids[0]!) ?? []) waiter.reject(error);
        waiting.delete(ids[0]!);
        return;
      }
      const half = Math.ceil(ids.length / 2);
      await this.bisect(ids.slice(0, half), waiting);
      await this.bisect(ids.slice(half), waiting);
    }
  }

  private settle(judgements: Judgements, waiting: Map<string, Waiter[]>): void {
    if (judgements.outcomes.size > 0) this.options.onJudged?.(judgements);
    for (const [id, outcome] of judgements.outcomes) {
      if (outcome.kind === 'MISSED' || outcome.kind === 'DECIDED') this.remember(id, outcome);
      const waiters = waiting.get(id);
      if (!waiters) continue;
      waiting.delete(id);
      for (const waiter of waiters) waiter.resolve(outcome.kind === 'STALE' ? (this.recent.get(id) ?? outcome) : outcome);
    }
  }

  private remember(id: string, outcome: FireOutcome): void {
    this.recent.set(id, outcome);
    if (this.recent.size > RECENT_OUTCOMES_KEPT) this.recent.delete(this.recent.keys().next().value!);
  }

  private quarantined(): string[] {
    const now = this.now();
    for (const [id, until] of this.quarantine) if (until <= now) this.quarantine.delete(id);
    return [...this.quarantine.keys()];
  }
}
