/**
 * The engine's public shapes: (WaybillState, EngineInput, Policy) -> Decision.
 *
 * This file is the contract between the pure domain engine and the services that feed it
 * (ingest, deadlines, api, replay). Services persist `Decision.state` as an opaque JSON
 * snapshot per waybill and carry out `Decision.effects`. Additive changes are fine; renaming
 * or removing a field breaks the adapters.
 *
 * Everything here is plain JSON-serialisable data: times are ISO-8601 strings in UTC
 * (`toISOString()` form) so that a snapshot round-trips through PostgreSQL jsonb unchanged.
 */
import type { CASE_STATES, CaseClass, InputEvent } from '#contracts';

export type IsoTime = string;

// One source of truth for the classes (rules.md §2) and states (§7): the wire contracts.
export { CASE_CLASSES, CASE_STATES, type CaseClass } from '#contracts';

export type CaseState = (typeof CASE_STATES)[number];

export type RuleId =
  | 'D2' | 'D3' | 'D4' | 'D5' | 'D6' | 'D7' | 'D8' | 'D9' | 'D10' | 'D11'
  | 'C1' | 'C2' | 'C3' | 'S1'
  | 'DWELL' // §2.1 hub dwell limit: a timer that opens HELD_AT_HUB, not a liability deadline
  | 'ESC1' | 'ESC2' // §7 escalation ladder steps after an overdue
  | `ESC${number}`; // further ladder steps when the policy configures more than two timed steps

export type Party = 'HUB' | 'DB' | 'RB' | 'OB' | 'CS' | 'HQ';

export type DeadlineStatus = 'PENDING' | 'MET' | 'MISSED' | 'CANCELLED' | 'RETRACTED';

export interface Deadline {
  /** Deterministic and BullMQ-safe (no ':'): `${caseId}-${rule}` plus `-a${attempt}` where a rule repeats. */
  id: string;
  /** null only for caseless timers (DWELL), which live in `WaybillState.timers`. */
  caseId: string | null;
  rule: RuleId;
  dueAt: IsoTime;
  /** Who is liable if it is missed (and at which site). */
  party: Party;
  siteCode: string | null;
  status: DeadlineStatus;
  armedAt: IsoTime; // event time of the clock start
  metAt?: IsoTime | null;
  missedAt?: IsoTime | null; // processing time at which it fired
  /** Event time at which it was cancelled (the case closed, or a later instruction superseded it). */
  cancelledAt?: IsoTime | null;
  attempt?: number;
  /** e.g. arrivalBasis ACTUAL for D3, departure slot for D7. */
  detail?: Record<string, unknown>;
}

export interface TimelineEntry {
  at: IsoTime; // event time of the source
  from: CaseState | null;
  to: CaseState;
  actor: string; // operator / site / 'system'
  sourceEventId: string | null;
  note?: string;
}

export interface LiabilityRecord {
  /** Deterministic: `${deadlineId}-${kind}` (+ review id), so re-running a decision is idempotent. */
  id: string;
  kind: 'RECORD' | 'RETRACTION' | 'HQ_REVIEW';
  caseId: string;
  deadlineId: string | null;
  rule: RuleId;
  party: Party;
  siteCode: string | null;
  dueAt: IsoTime | null;
  metAt: IsoTime | null;
  minutesLate: number | null;
  evidence: Record<string, unknown>;
  favourableToDb: boolean;
  /** For RETRACTION and HQ_REVIEW: the record it points at. */
  refersTo: string | null;
  reviewer?: string | null;
  reviewOutcome?: 'UPHOLD' | 'REASSIGN' | 'CANCEL' | null;
  reason?: string | null;
  recordedAt: IsoTime;
}

export interface ProblemCase {
  /** Deterministic: `${waybillNo}-${class}-${n}` (n = 1, 2, … per waybill and class). */
  id: string;
  /** `PI-YYYYMM-NNNNNNN`: assigned by persistence (a serial per month), never by the engine. */
  caseNo: string | null;
  /** Month key (local time of the opening event) the case number is drawn from, e.g. '202611'. */
  caseNoMonth: string;
  waybillNo: string;
  caseClass: CaseClass;
  reasonCode: string;
  state: CaseState;
  flags: {
    /** One entry per effective liability record (retracted or HQ-cancelled ones drop out). */
    overdue: { rule: RuleId; party: Party; siteCode: string | null; deadlineId?: string | null }[];
    escalationLevel: number;
    noReply: boolean;
    underHqReview: boolean;
    favourableToDb: boolean;
    wrongTarget: boolean;
  };
  openedAt: IsoTime;
  closedAt: IsoTime | null;
  outcome: string | null; // DELIVERED / RETURNED / TRANSFERRED / TRANSSHIPPED / RESOLVED_BY_HQ …
  originBranch: string | null;
  deliveringBranch: string | null;
  /** The site that registered or, for scan-detected cases, the site where it was detected. */
  reportedBySite: string | null;
  registeredAt: IsoTime | null;
  detectedBy: 'REGISTRATION' | 'SCAN' | 'DWELL_TIMER';
  timeline: TimelineEntry[];
  deadlines: Deadline[];
  liabilities: LiabilityRecord[];
  /** Class-specific facts: attempt counts, COD change status (REQUESTED/APPLIED), arrivalBasis, evidence hashes … */
  data: Record<string, unknown>;
}

export interface NotificationIntent {
  /** Deterministic identity (case or triggering event, kind, target, attempt): the notifier sends at most once per id. */
  id: string;
  caseId: string;
  kind: string; // OB_ALERT, CUSTOMER_SMS, SUPERVISOR, FINANCE, RECONCILIATION, COURIER, SENDER, SITE_ALERT, ESCALATION, CS_ESCALATION …
  channel: 'BRANCH_ALERT' | 'SMS' | 'EMAIL' | 'WEBHOOK';
  targetRole: string; // OB, DB, RB, HUB, SUPERVISOR, FINANCE, RECONCILIATION, COURIER, SENDER, RECIPIENT, CUSTOMER, CS, HQ
  targetSite: string | null;
  /** Contact (phone / e-mail / courier id) when the target is a person; masked before any log. */
  recipient: string | null;
  templateKey: string | null;
  /** Rendered text for SMS, or structured variables for alerts. */
  body: string;
  vars: Record<string, string | number | boolean | null>;
  eventTime: IsoTime; // the event time it was issued for (S1/D11 carry the triggering event's time)
  /** Quiet hours: not to be sent before this time (customer SMS only). */
  notBefore: IsoTime | null;
  attempt: number | null;
  /** true when the handheld already sent it (smsSent): recorded as evidence, not sent again. */
  alreadySent: boolean;
}

export type Effect =
  | { type: 'CaseOpened'; caseId: string }
  | { type: 'CaseChanged'; caseId: string; from: CaseState; to: CaseState }
  | { type: 'CaseClosed'; caseId: string; outcome: string }
  | { type: 'DeadlineArmed'; deadline: Deadline }
  | { type: 'DeadlineMoved'; deadline: Deadline; previousDueAt: IsoTime }
  | { type: 'DeadlineMet'; deadline: Deadline }
  | { type: 'DeadlineMissed'; deadline: Deadline }
  | { type: 'DeadlineCancelled'; deadline: Deadline }
  | { type: 'DeadlineRetracted'; deadline: Deadline }
  | { type: 'LiabilityRecorded'; record: LiabilityRecord }
  | { type: 'NotificationIntended'; notification: NotificationIntent }
  | { type: 'Escalated'; caseId: string; level: number; rule: RuleId }
  | { type: 'Ignored'; reason: string } // duplicate eventId, stale timer, reply to no case …
  | { type: 'Rejected'; reason: string }; // semantically invalid (e.g. reply naming an unknown case) — to the DLQ

/** Persisted per waybill as JSON. Holds everything the engine needs to decide the next event. */
export interface WaybillState {
  waybillNo: string;
  version: number; // incremented by every decision that changes it
  pickup: {
    eventId: string;
    occurredAt: IsoTime;
    originBranch: string;
    destinationBranch: string;
    recipient: { name: string; mobile: string | null; address: string; gender: 'M' | 'F' | null };
    sender: { name: string; mobile: string | null; address: string | null };
    codFen: number | null;
    codMethod: 'CASH' | 'CHEQUE' | null;
    freightPayer: 'SENDER' | 'RECIPIENT';
    customerClass: string | null;
  } | null;
  deliveringBranch: string | null;
  /** Events received before the PICKUP (§2.1): replayed once it arrives. */
  pending: InputEvent[];
  /** eventIds already applied to this waybill (duplicates are ignored). */
  seenEventIds: string[];
  /** Scan facts the rules need (latest hub arrival, departures by next site, courier, attempts …). */
  facts: Record<string, unknown>;
  cases: ProblemCase[];
  /** Timers not yet tied to a case (DWELL: opens HELD_AT_HUB when it fires with no onward movement). */
  timers: Deadline[];
}

/** A timer that came due: the deadline service (or the replay runner) feeds it back in. */
export interface TimerInput {
  kind: 'timer';
  deadlineId: string;
  caseId: string | null; // null for the DWELL timer, which has no case yet
  dueAt: IsoTime;
  firedAt: IsoTime; // processing time (injected clock)
}

/** Staff commands that are not Kafka events (API): HQ review of a liability record. */
export interface HqReviewInput {
  kind: 'hqReview';
  reviewId: string;
  caseId: string;
  liabilityId: string;
  outcome: 'UPHOLD' | 'REASSIGN' | 'CANCEL';
  reassignTo?: { party: Party; siteCode: string | null };
  reviewer: string;
  reason: string;
  at: IsoTime;
}

/** Staff command (API): HQ opens a review of a liability record (sets UNDER_HQ_REVIEW until an HqReviewInput decides it). */
export interface HqReviewOpenedInput {
  kind: 'hqReviewOpened';
  caseId: string;
  liabilityId: string;
  requestedBy: string;
  reason: string;
  at: IsoTime;
}

/**
 * Staff command (API): evidence stored for a case — its content hash kept, immutable (rules §4). It counts for the
 * §5 gates from `at` on: a photo for DAMAGE and WEIGHT_MISMATCH, a letter for RETURN_RECEIPT_CHANGE (with
 * `authorisedBy`) and for COD_CHANGE (with the letter's details).
 */
export interface EvidenceAttachedInput {
  kind: 'evidenceAttached';
  /** Unique per evidence item (the API derives it from the stored item's id). */
  eventId: string;
  caseId: string;
  evidenceId: string;
  evidenceKind: 'PHOTO' | 'LETTER' | 'SMS_LOG' | 'OTHER';
  uri: string;
  sha256: string;
  attachedBy: string;
  /** The uploader's site, or HQ. */
  site: string;
  letter?: { signedBy: string; stamped: boolean; verifiedWithSenderBy: string };
  authorisedBy?: string;
  at: IsoTime;
}

export type EngineInput = { kind: 'event'; event: InputEvent } | TimerInput | HqReviewInput | HqReviewOpenedInput | EvidenceAttachedInput;

export interface Decision {
  state: WaybillState;
  effects: Effect[];
}
