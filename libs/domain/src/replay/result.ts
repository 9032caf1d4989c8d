import type {
  CaseClass,
  CaseState,
  Deadline,
  DeadlineStatus,
  IsoTime,
  LiabilityRecord,
  NotificationIntent,
  Party,
  ProblemCase,
  RuleId,
} from '../engine/types.js';

/** A case as the replay reports it: identity, classification and where it ended up. */
export interface ReplayCase {
  caseId: string;
  caseNo: string | null;
  waybillNo: string;
  caseClass: CaseClass;
  reasonCode: string;
  state: CaseState;
  flags: ProblemCase['flags'];
  outcome: string | null;
  detectedBy: ProblemCase['detectedBy'];
  openedAt: IsoTime;
  closedAt: IsoTime | null;
  originBranch: string | null;
  deliveringBranch: string | null;
}

export interface ReplayDeadline {
  id: string;
  waybillNo: string;
  /** null for caseless timers (DWELL). */
  caseId: string | null;
  caseNo: string | null;
  rule: RuleId;
  dueAt: IsoTime;
  status: DeadlineStatus;
  party: Party;
  siteCode: string | null;
  armedAt: IsoTime;
  metAt: IsoTime | null;
  missedAt: IsoTime | null;
}

export type ReplayLiability = LiabilityRecord & { waybillNo: string; caseNo: string | null };
export type ReplayNotification = NotificationIntent & { waybillNo: string; caseNo: string | null };

export interface ReplayResult {
  policy: { version: string; fingerprint: string };
  /** The event-time clock at the end: the latest event time seen, or `until` when that is later. */
  watermark: IsoTime | null;
  counts: {
    /** Messages fed (blank lines are not messages). */
    messages: number;
    /** Valid events handed to the engine. */
    events: number;
    rejected: number;
    timersFired: number;
    waybills: number;
  };
  /** In order of opening (case-number order). */
  cases: ReplayCase[];
  /** Every deadline of every case (pending ones included), then caseless timers. */
  deadlines: ReplayDeadline[];
  liabilities: ReplayLiability[];
  /** Each notification identity once, in the order first issued. */
  notifications: ReplayNotification[];
  /** Rejected input by reason (quoted values blanked, see `reasonCategory`): invalid messages and engine rejections, both DLQ-bound. */
  rejected: Record<string, number>;
  /** Inputs the engine ignored (duplicates, stale timers …) by reason. */
  ignored: Record<string, number>;
  /** Effects by type over the whole replay. */
  effects: Record<string, number>;
}

export function toReplayDeadline(deadline: Deadline, waybillNo: string, caseNo: string | null): ReplayDeadline {
  return {
    id: deadline.id,
    waybillNo,
    caseId: deadline.caseId,
    caseNo,
    rule: deadline.rule,
    dueAt: deadline.dueAt,
    status: deadline.status,
    party: deadline.party,
    siteCode: deadline.siteCode,
    armedAt: deadline.armedAt,
    metAt: deadline.metAt ?? null,
    missedAt: deadline.missedAt ?? null,
  };
}

export function toReplayCase(c: ProblemCase): ReplayCase {
  return {
    caseId: c.id,
    caseNo: c.caseNo,
    waybillNo: c.waybillNo,
    caseClass: c.caseClass,
    reasonCode: c.reasonCode,
    state: c.state,
    flags: c.flags,
    outcome: c.outcome,
    detectedBy: c.detectedBy,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    originBranch: c.originBranch,
    deliveringBranch: c.deliveringBranch,
  };
}
