import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decide, type Effect, type Policy, type WaybillState } from '#domain';
import { APP_ENV, CLOCK, POLICY, type AppEnv, type Clock } from '#config';
import { StreamProgressRepository } from '#persistence';
import { JudgementRepository, type DeadlineRow } from '../../judgement/judgement.repository.js';
import { eventTimeGate, type EventTimeGate } from '../../ingest-clock/event-time-gate.js';
import { IngestEndOffsets } from '../../ingest-clock/ingest-end-offsets.js';

export type FireOutcome =
  | { kind: 'MISSED'; rule: string; dueAt: string }
  | { kind: 'DECIDED'; dueAt: string } // the engine acted (e.g. a dwell timer opened a case, a ladder step escalated)
  | { kind: 'STALE' } // met, cancelled or already judged: nothing to do
  | { kind: 'WAIT'; untilMs: number }; // not judgeable yet: the event-time clock lags, or the due time moved later

/** Where a timer's deadline stands before any judgement: settled (stale or to wait), or due and judgeable now. */
export type Standing = FireOutcome | { kind: 'DUE' };

/** The deadlines one transaction judged, and when it committed. */
export interface Judgements {
  /** The deadlines the transaction claimed (a sweep) or was asked for, each with its outcome. */
  outcomes: Map<string, FireOutcome>;
  /** Due time (ms) of every deadline the transaction judged (MISSED or DECIDED). */
  dueMs: Map<string, number>;
  committedAtMs: number;
  /** Where the transaction's time went (ms): locking/claiming, reading rows and states, the engine, writing, commit. */
  phases: { lock: number; read: number; engine: number; write: number; commit: number };
}

/** A failed sweep, with the deadlines it had claimed (for the caller to find the one at fault). */
export class SweepFailed extends Error {
  constructor(
    readonly claimed: string[],
    override readonly cause: unknown,
  ) {
    super(`sweep of ${claimed.length} due deadlines failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/**
 * Due deadlines, judged against PostgreSQL. A timer job only says "something is due": PostgreSQL is the source
 * of truth for what is due and for whether it is still pending, so one transaction judges every pending deadline
 * due by now (a sweep), and the other timers of that second find theirs already judged. A timer that wakes up
 * before its deadline's current due time (the engine moved it) waits for it again.
 *
 * A deadline is only judged once the ingest group's event-time clock has passed its due time (so a lagging or
 * crashed consumer, or a replay of a past day, cannot turn a met deadline into a false overdue), once ingest has
 * caught up with the brokers and been quiet for `DEADLINE_IDLE_GRACE_SECONDS`, or once a consumer with a backlog
 * has made no progress for `DEADLINE_STALLED_INGEST_SECONDS` (see ingest-clock/event-time-gate.ts).
 *
 * Everything the misses cause — overdue, liability, escalation timers, alert intents — is written in one
 * transaction with the waybills' new states, under the waybills' row locks; the deadline rows are re-read under
 * those locks, so a deadline judged (or met) by a transaction that committed meanwhile is not judged again.
 */
@Injectable()
export class FireDeadlineUseCase {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(POLICY) private readonly policy: Policy,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_ENV) private readonly env: AppEnv,
    // Absent (benchmarks, tools): only ingest's stored view of its backlog is used.
    @Optional() private readonly endOffsets?: IngestEndOffsets,
  ) {}

  /** Where these timers' deadlines stand, without locking anything. */
  async inspect(deadlineIds: string[]): Promise<Map<string, Standing>> {
    const now = this.clock.now().getTime();
    const gate = await this.eventTimeGate(now);
    const rows = await JudgementRepository.readDeadlines(this.dataSource, [...new Set(deadlineIds)]);
    const standing = new Map<string, Standing>();
    for (const id of deadlineIds) {
      const row = rows.get(id);
      standing.set(id, row ? (precheck(row, now, gate) ?? { kind: 'DUE' }) : { kind: 'STALE' });
    }
    return standing;
  }

  /**
   * One sweep: claims the waybills of up to `limit` pending deadlines due by now (earliest first; waybills other
   * transactions hold are skipped, `excluded` deadlines left out), judges them and commits. Returns the
   * outcome of every claimed deadline; `outcomes.size < limit` means nothing more was claimable.
   */
  async sweep(limit: number, excluded: string[] = []): Promise<Judgements> {
    const now = this.clock.now().getTime();
    const gate = await this.eventTimeGate(now);
    let claimed: string[] = [];
    try {
      return await this.judge(now, gate, async (manager) => {
        claimed = await JudgementRepository.claimDue(manager, new Date(gate.judgeableUntil), limit, excluded);
        return claimed;
      });
    } catch (error) {
      throw new SweepFailed(claimed, error);
    }
  }

  /**
   * Judges these deadlines (those due and judgeable), waiting for their waybills' locks: for the timers a
   * sweep could not claim. Returns one outcome per distinct id.
   */
  async executeMany(deadlineIds: string[]): Promise<Judgements> {
    const now = this.clock.now().getTime();
    const gate = await this.eventTimeGate(now);
    const ids = [...new Set(deadlineIds)];
    return this.judge(now, gate, async (manager) => {
      const rows = await JudgementRepository.readDeadlines(manager, ids);
      const waybills = [...rows.values()].filter((r) => precheck(r, now, gate) === null).map((r) => r.waybill_no);
      await JudgementRepository.lockWaybills(manager, waybills);
      return ids;
    });
  }

  async execute(deadlineId: string): Promise<FireOutcome> {
    return (await this.executeMany([deadlineId])).outcomes.get(deadlineId)!;
  }

  /** `lock` locks the waybills to judge and names the deadlines to look at; the rest happens under those locks. */
  private async judge(now: number, gate: Gate, lock: (manager: EntityManager) => Promise<string[]>): Promise<Judgements> {
    const outcomes = new Map<string, FireOutcome>();
    const dueMs = new Map<string, number>();
    const phases = { lock: 0, read: 0, engine: 0, write: 0, commit: 0 };
    let mark = performance.now();
    const lap = (phase: keyof typeof phases) => {
      const at = performance.now();
      phases[phase] += at - mark;
      mark = at;
    };
    await this.dataSource.transaction(async (manager) => {
      const ids = await lock(manager);
      lap('lock');
      if (ids.length === 0) return;
      // Read under the waybill locks: a decision that committed meanwhile may have met, moved or judged them.
      const rows = await JudgementRepository.readDeadlines(manager, ids);
      const byWaybill = new Map<string, DeadlineRow[]>();
      for (const id of ids) {
        const row = rows.get(id);
        const settled = row ? precheck(row, now, gate) : { kind: 'STALE' as const };
        if (settled) outcomes.set(id, settled);
        else byWaybill.set(row!.waybill_no, [...(byWaybill.get(row!.waybill_no) ?? []), row!]);
      }
      if (byWaybill.size === 0) return;

      const before = await JudgementRepository.readStates(manager, [...byWaybill.keys()], this.policy);
      lap('read');
      const states: WaybillState[] = [];
      const effects: Effect[] = [];
      const firedAt = new Date(now).toISOString();
      for (const [waybillNo, due] of byWaybill) {
        let state = before.get(waybillNo) ?? null;
        let changed = false;
        due.sort((a, b) => a.due_at.getTime() - b.due_at.getTime() || a.deadline_id.localeCompare(b.deadline_id));
        for (const row of due) {
          const dueAt = row.due_at.toISOString();
          const decision = decide(state, { kind: 'timer', deadlineId: row.deadline_id, caseId: row.case_id, dueAt, firedAt }, this.policy);
          if (!decision.effects.some((e) => e.type !== 'Ignored')) {
            outcomes.set(row.deadline_id, { kind: 'STALE' });
            continue;
          }
          state = decision.state;
          changed = true;
          effects.push(...decision.effects);
          dueMs.set(row.deadline_id, row.due_at.getTime());
          const missed = decision.effects.find((e) => e.type === 'DeadlineMissed' && e.deadline.id === row.deadline_id);
          outcomes.set(
            row.deadline_id,
            missed?.type === 'DeadlineMissed' ? { kind: 'MISSED', rule: missed.deadline.rule, dueAt } : { kind: 'DECIDED', dueAt },
          );
        }
        if (changed && state) states.push(state);
      }
      lap('engine');
      await JudgementRepository.persist(manager, { before, states, effects });
      lap('write');
    });
    lap('commit');
    return { outcomes, dueMs, committedAtMs: this.clock.now().getTime(), phases };
  }

  /**
   * When a due deadline may be judged: the ingest group's event-time clock, read from its progress and the
   * brokers (ingest-clock/event-time-gate.ts). The gate answers for one due time and is monotone in it (the
   * clock's watermark, or a grace period that lets everything through): a sweep needs the latest due time it
   * lets through, found by bisection between the epoch and now.
   */
  private async eventTimeGate(now: number): Promise<Gate> {
    const [partitions, endOffsets] = await Promise.all([
      StreamProgressRepository.partitionProgress(this.dataSource, `${this.env.KAFKA_GROUP_PREFIX}.ingest`),
      this.endOffsets?.read() ?? null,
    ]);
    const holdBack = eventTimeGate({
      partitions,
      endOffsets,
      now,
      latenessMs: this.env.WATERMARK_LATENESS_SECONDS * 1000,
      idleGraceMs: this.env.DEADLINE_IDLE_GRACE_SECONDS * 1000,
      stalledGraceMs: this.env.DEADLINE_STALLED_INGEST_SECONDS * 1000,
    });
    const retryAtMs = holdBack(now);
    if (retryAtMs === null) return { now, judgeableUntil: now, retryAtMs: now };
    let [judgeable, held] = [-1, now];
    while (held - judgeable > 1) {
      const mid = Math.floor((judgeable + held) / 2);
      if (holdBack(mid) === null) judgeable = mid;
      else held = mid;
    }
    return { now, judgeableUntil: judgeable, retryAtMs };
  }
}

interface Gate {
  now: number;
  /** Deadlines due at or before this may be judged now. */
  judgeableUntil: number;
  /** When a deadline held back by the event-time clock looks again. */
  retryAtMs: number;
}

/** A deadline that cannot be judged now: stale, or to wait for (its due time, or the event-time clock). */
function precheck(row: DeadlineRow, now: number, gate: Gate): FireOutcome | null {
  if (row.status !== 'PENDING') return { kind: 'STALE' };
  const due = row.due_at.getTime();
  if (due > now) return { kind: 'WAIT', untilMs: due };
  return due <= gate.judgeableUntil ? null : { kind: 'WAIT', untilMs: gate.retryAtMs };
}
