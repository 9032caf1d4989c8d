import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decide, type Policy } from '#domain';
import { APP_ENV, CLOCK, POLICY, type AppEnv, type Clock } from '#config';
import { DecisionRepository, StreamProgressRepository } from '#persistence';

export type FireOutcome =
  | { kind: 'MISSED'; rule: string }
  | { kind: 'DECIDED' } // the engine acted (e.g. a dwell timer opened a case) without a miss
  | { kind: 'STALE' } // met, cancelled, moved or already judged: nothing to do
  | { kind: 'WAIT'; untilMs: number }; // the event-time clock has not reached the due time yet

/**
 * A timer came due: re-read PostgreSQL and let the engine judge it. The deadline is only judged
 * once the ingest group's event-time clock has passed its due time — the newest event time of the
 * slowest partition still behind (so a lagging consumer, or a replay of a past day, cannot turn a
 * met deadline into a false overdue) — or when every partition has caught up, or when ingest has
 * been quiet for `DEADLINE_IDLE_GRACE_SECONDS` (a stopped consumer cannot hold deadlines back forever). Everything the miss causes — overdue,
 * liability, escalation timers, alert intents — is written in one transaction, and a second run
 * of the same job finds the deadline no longer pending.
 */
@Injectable()
export class FireDeadlineUseCase {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(POLICY) private readonly policy: Policy,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_ENV) private readonly env: AppEnv,
  ) {}

  async execute(deadlineId: string, dueAt: string): Promise<FireOutcome> {
    const now = this.clock.now().getTime();
    const due = Date.parse(dueAt);
    if (now < due) return { kind: 'WAIT', untilMs: due };
    const clock = await StreamProgressRepository.eventClock(this.dataSource, `${this.env.KAFKA_GROUP_PREFIX}.ingest`);
    if (clock.lowWatermark) {
      const watermark = clock.lowWatermark.getTime() - this.env.WATERMARK_LATENESS_SECONDS * 1000;
      const quietFor = clock.lastActivity ? now - clock.lastActivity.getTime() : Infinity;
      const graceMs = this.env.DEADLINE_IDLE_GRACE_SECONDS * 1000;
      if (watermark < due && quietFor < graceMs) return { kind: 'WAIT', untilMs: now + Math.min(2000, graceMs - quietFor) };
    }

    return this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query(
        `SELECT waybill_no, case_id, status, due_at FROM deadline WHERE deadline_id = $1`,
        [deadlineId],
      );
      if (!row || row.status !== 'PENDING' || new Date(row.due_at).getTime() !== due) return { kind: 'STALE' } as const;
      const states = await DecisionRepository.lockStates(manager, [row.waybill_no]);
      const state = states.get(row.waybill_no) ?? null;
      const decision = decide(
        state,
        { kind: 'timer', deadlineId, caseId: row.case_id, dueAt: new Date(due).toISOString(), firedAt: new Date(now).toISOString() },
        this.policy,
      );
      const acted = decision.effects.some((e) => e.type !== 'Ignored');
      if (!acted) return { kind: 'STALE' } as const;
      await DecisionRepository.persist(manager, { states: [decision.state], effects: decision.effects });
      const missed = decision.effects.find((e) => e.type === 'DeadlineMissed');
      return missed && missed.type === 'DeadlineMissed'
        ? ({ kind: 'MISSED', rule: missed.deadline.rule } as const)
        : ({ kind: 'DECIDED' } as const);
    });
  }
}
