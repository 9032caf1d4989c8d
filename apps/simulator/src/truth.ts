import type { CaseClass, Party, RuleId } from '#domain';

/** How the engine should come to know of an injected problem. */
export type Detection = 'SCAN' | 'REGISTRATION' | 'DWELL_TIMER';

/** A deadline outcome the scenario was built to produce (judged from event times, as the engine must). */
export interface ExpectedDeadline {
  rule: RuleId;
  outcome: 'MET' | 'MISSED';
  /** Who is liable when missed (or would have been). */
  party: Party | null;
  siteCode: string | null;
  dueAt?: string;
  metAt?: string | null;
  note?: string;
}

export interface InjectedProblem {
  waybillNo: string;
  /** The scenario variant that produced it, e.g. `failed-delivery/registration-late`. */
  scenario: string;
  caseClass: CaseClass;
  reasonCode: string;
  detection: Detection;
  /** Event time at which the case should open. */
  detectedAt: string;
  /** Which event (or timer) reveals it, in words. */
  detectedBy: string;
  originBranch: string;
  deliveringBranch: string;
  expected: ExpectedDeadline[];
  flags: {
    favourableToDb?: boolean;
    wrongTarget?: boolean;
    noReply?: boolean;
    codChange?: 'APPLIED' | 'REQUESTED';
    paymentChange?: 'APPLIED' | 'REQUESTED';
    arrivalBasis?: 'THEORETICAL' | 'ACTUAL';
    cannotPayNotifySender?: boolean;
    smsHeldForQuietHours?: boolean;
  };
  /**
   * How the case should end by the last event of the scenario (the engine's outcome names: RESOLVED for an
   * explicit resolve, ANSWERED for a complaint's final answer); null when it is meant to stay open.
   */
  expectedOutcome: 'DELIVERED' | 'RETURNED' | 'TRANSFERRED' | 'TRANSSHIPPED' | 'RESOLVED' | 'ANSWERED' | null;
  notes?: string[];
}

export type MalformedKind = 'INVALID_JSON' | 'MISSING_FIELD' | 'UNKNOWN_REASON_CODE' | 'KEY_MISMATCH' | 'TIME_WITHOUT_OFFSET';

export interface StreamFaults {
  duplicates: { count: number; eventIds: string[] };
  outOfOrder: {
    count: number;
    /** `eventId` reaches the stream ahead of `aheadOf`, an event that happened before it. */
    items: { waybillNo: string; eventId: string; kind: 'EXCEPTION_BEFORE_SCAN' | 'REPLY_BEFORE_SCAN' | 'SCAN_BEFORE_PICKUP'; aheadOf: string }[];
  };
  late: {
    count: number;
    items: {
      waybillNo: string;
      eventId: string;
      occurredAt: string;
      /** How long after its event time the registration reaches the stream. */
      lateByMinutes: number;
      /**
       * Set when the registration meets a deadline armed before it (by a scan) and an event-time clock has passed
       * that deadline by the time the registration is on the stream: expect an overdue record, then its retraction.
       */
      expectRetraction?: { rule: RuleId; dueAt: string };
    }[];
  };
  malformed: {
    count: number;
    byKind: Record<MalformedKind, number>;
    items: { kind: MalformedKind; topic: string; key: string; eventId: string; basedOnEventId: string }[];
  };
}

export interface GroundTruth {
  seed: number;
  day: string;
  timeZone: string;
  policyVersion: string;
  waybills: number;
  problemWaybills: number;
  /** problemWaybills / waybills. */
  problemShare: number;
  events: {
    /** Distinct valid events (what a correct consumer applies). */
    unique: number;
    /** Every message put on the stream: valid, duplicated and malformed. */
    envelopes: number;
    byTopic: Record<string, number>;
  };
  stream: StreamFaults;
  coverage: {
    byClass: Partial<Record<CaseClass, number>>;
    byReason: Record<string, number>;
    byScenario: Record<string, number>;
  };
  problems: InjectedProblem[];
}
