/**
 * The shape every deadline rule of rules.md §3 takes. A rule is declarative: from the case's facts it says
 * which deadlines should exist (`desired`) and what meets each one (`meeting`); the generic reconciler in
 * ../deadlines.ts arms, moves, meets, cancels, misses and retracts them. That is what makes the outcome
 * independent of the order in which the topics deliver a waybill's events.
 */
import type { EngineContext } from '../context.js';
import type { Deadline, IsoTime, Party, ProblemCase, RuleId } from '../types.js';

export interface DesiredDeadline {
  id: string;
  rule: RuleId;
  dueAt: IsoTime;
  /** Event time of the clock start. */
  armedAt: IsoTime;
  party: Party;
  siteCode: string | null;
  attempt?: number;
  detail?: Record<string, unknown>;
}

/** What met a deadline: the earliest qualifying fact at or after the clock start (possibly after the due time). */
export interface Meeting {
  at: IsoTime;
  eventId: string | null;
  evidence: Record<string, unknown>;
}

/** Who answers for a missed deadline, under which rule label (D4 may become D8 or D9), and whether D10 exempts them. */
export interface MissJudgement {
  rule: RuleId;
  party: Party;
  siteCode: string | null;
  /** D10 favourable to DB: no liability record, the miss is still recorded on the deadline. */
  exempt: boolean;
  evidence: Record<string, unknown>;
}

export interface DeadlineRule {
  /** The rule family, e.g. 'D6/D7' (documentation and diagnostics). */
  readonly family: string;
  readonly rules: readonly RuleId[];
  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[];
  meeting(ctx: EngineContext, c: ProblemCase, deadline: Deadline): Meeting | null;
  /** An event time after which the deadline no longer applies (a later instruction replaced it). */
  supersededAt?(ctx: EngineContext, c: ProblemCase, deadline: Deadline): IsoTime | null;
  /** null: a timer that records no liability (the escalation ladder). */
  judge(ctx: EngineContext, c: ProblemCase, deadline: Deadline): MissJudgement | null;
  /** Consequences of a miss beyond the liability record (flags, escalations, default procedures). */
  onMissed?(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void;
  /** Undo of `onMissed` consequences that must not outlive a retraction. */
  onRetracted?(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void;
}
