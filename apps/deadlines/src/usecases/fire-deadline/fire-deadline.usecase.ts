import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decide, type Effect, type Policy, type WaybillState } from '#domain';
import { APP_ENV, CLOCK, POLICY, type AppEnv, type Clock } from '#config';
import { DecisionRepository, StreamProgressRepository } from '#persistence';
import { eventTimeGate, type EventTimeGate } from '../../ingest-clock/event-time-gate.js';
import { IngestEndOffsets } from '../../ingest-clock/ingest-end-offsets.js';

export type FireOutcome =
  | { kind: 'MISSED'; rule: string; dueAt: string }
  | { kind: 'DECIDED'; dueAt: string } // the engine acted (e.g. a dwell timer opened a case, a ladder step escalated)
  | { kind: 'STALE' } // met, cancelled or already judged: nothing to do
  | { kind: 'WAIT'; untilMs: number }; // not judgeable yet: the event-time clock lags, or the due time moved later

interface DeadlineRow {
  deadline_id: string;
  waybill_no: string;
  case_id: string | null;
  status: string;
  due_at: Date;
}

/**
 * Timers came due: re-read PostgreSQL and let the engine judge them. PostgreSQL is the source of truth for the
 * due time as well: a timer that wakes up before its deadline's current due time (the engine moved it) waits
 * for it again, one whose deadline is no longer pending is stale.
 *
 * A deadline is only judged once the ingest group's event-time clock has passed its due time (so a lagging or
 * crashed consumer, or a replay of a past day, cannot turn a met deadline into a false overdue), once ingest has
 * caught up with the brokers and been quiet for `DEADLINE_IDLE_GRACE_SECONDS`, or once a consumer with a backlog
 * has made no progress for `DEADLINE_STALLED_INGEST_SECONDS` (see ingest-clock/event-time-gate.ts).
 *
 * Everything the misses cause — overdue, liability, escalation timers, alert intents — is written in one
 * transaction with the waybills' new states; the rows are re-read under the waybill locks, so a second run of
 * the same timer (a retry after a crash) finds its deadline no longer pending. Many timers are judged in one
 * transaction: a burst of deadlines due at the same second costs one round of statements, not one per timer.
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

  async execute(deadlineId: string): Promise<FireOutcome> {
    return (await this.executeMany([deadlineId])).get(deadlineId)!;
  }

  /** Judges the given timers together; returns one outcome per distinct id. */
  async executeMany(deadlineIds: string[]): Promise<Map<string, FireOutcome>> {
    const now = this.clock.now().getTime();
    const holdBack = await this.eventTimeGate(now);
    return this.dataSource.transaction(async (manager) => {
      const outcomes = new Map<string, FireOutcome>();
      const judgeable = (row: DeadlineRow): boolean => {
        const outcome = precheck(row, now, holdBack);
        if (outcome) outcomes.set(row.deadline_id, outcome);
        return outcome === null;
      };

      const ids = [...new Set(deadlineIds)];
      const first = await readDeadlines(manager, ids);
      for (const id of ids) if (!first.has(id)) outcomes.set(id, { kind: 'STALE' });
      const candidates = [...first.values()].filter(judgeable);
      if (candidates.length === 0) return outcomes;

      const locked = await DecisionRepository.lockStates(manager, candidates.map((r) => r.waybill_no));
      // Re-read under the waybill locks: a decision that committed meanwhile may have met, moved or judged them.
      const fresh = await readDeadlines(manager, candidates.map((r) => r.deadline_id));
      const byWaybill = new Map<string, DeadlineRow[]>();
      for (const row of candidates) {
        const current = fresh.get(row.deadline_id);
        if (!current) outcomes.set(row.deadline_id, { kind: 'STALE' });
        else if (judgeable(current)) byWaybill.set(current.waybill_no, [...(byWaybill.get(current.waybill_no) ?? []), current]);
      }

      const states: WaybillState[] = [];
      const effects: Effect[] = [];
      const firedAt = new Date(now).toISOString();
      for (const [waybillNo, rows] of byWaybill) {
        let state = locked.get(waybillNo) ?? null;
        let changed = false;
        rows.sort((a, b) => a.due_at.getTime() - b.due_at.getTime() || a.deadline_id.localeCompare(b.deadline_id));
        for (const row of rows) {
          const dueAt = row.due_at.toISOString();
          const decision = decide(state, { kind: 'timer', deadlineId: row.deadline_id, caseId: row.case_id, dueAt, firedAt }, this.policy);
          if (!decision.effects.some((e) => e.type !== 'Ignored')) {
            outcomes.set(row.deadline_id, { kind: 'STALE' });
            continue;
          }
          state = decision.state;
          changed = true;
          effects.push(...decision.effects);
          const missed = decision.effects.find((e) => e.type === 'DeadlineMissed' && e.deadline.id === row.deadline_id);
          outcomes.set(
            row.deadline_id,
            missed?.type === 'DeadlineMissed' ? { kind: 'MISSED', rule: missed.deadline.rule, dueAt } : { kind: 'DECIDED', dueAt },
          );
        }
        if (changed && state) states.push(state);
      }
      if (states.length > 0) await DecisionRepository.persist(manager, { states, effects });
      return outcomes;
    });
  }

  /** When a due deadline may be judged: the ingest group's event-time clock, read from its progress and the brokers. */
  private async eventTimeGate(now: number): Promise<EventTimeGate> {
    const [partitions, endOffsets] = await Promise.all([
      StreamProgressRepository.partitionProgress(this.dataSource, `${this.env.KAFKA_GROUP_PREFIX}.ingest`),
      this.endOffsets?.read() ?? null,
    ]);
    return eventTimeGate({
      partitions,
      endOffsets,
      now,
      latenessMs: this.env.WATERMARK_LATENESS_SECONDS * 1000,
      idleGraceMs: this.env.DEADLINE_IDLE_GRACE_SECONDS * 1000,
      stalledGraceMs: this.env.DEADLINE_STALLED_INGEST_SECONDS * 1000,
    });
  }
}

function precheck(row: DeadlineRow, now: number, holdBack: EventTimeGate): FireOutcome | null {
  if (row.status !== 'PENDING') return { kind: 'STALE' };
  const due = row.due_at.getTime();
  if (due > now) return { kind: 'WAIT', untilMs: due };
  const until = holdBack(due);
  return until === null ? null : { kind: 'WAIT', untilMs: until };
}

async function readDeadlines(manager: EntityManager, ids: string[]): Promise<Map<string, DeadlineRow>> {
  const rows: DeadlineRow[] = await manager.query(
    `SELECT deadline_id, waybill_no, case_id, status, due_at FROM deadline WHERE deadline_id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.deadline_id, { ...r, due_at: new Date(r.due_at) }]));
}
