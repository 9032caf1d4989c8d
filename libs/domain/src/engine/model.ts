/**
 * The engine's own records inside `WaybillState.facts` and `ProblemCase.data` (both typed as open JSON objects
 * in the shared contract). Everything is plain JSON with UTC ISO times, so it round-trips through jsonb.
 *
 * The engine keeps *facts* (what happened, at which event time) rather than only conclusions: deadlines,
 * states and closures are re-derived from the facts after every input, which is what makes the result
 * independent of the order in which the topics deliver one waybill's events.
 */
import type { ActionEvent, CaseAction, ReasonCode, ReplyEvent, ReplyInstruction, ScanType } from '#contracts';
import type { IsoTime, Party, ProblemCase, WaybillState } from './types.js';

/** One scan, compacted to what the rules read. */
export interface ScanFact {
  id: string;
  type: ScanType;
  site: string;
  siteType: 'HUB' | 'BRANCH';
  at: IsoTime;
  operatorId: string | null;
  /** HUB_DEPARTURE */
  next?: string;
  /** DELIVERY_FAILED, HOLD */
  reason?: string;
  /** DELIVERY_FAILED: 1-based ordinal of failed attempts on this waybill, in scan-topic order. */
  attemptNo?: number;
  /** DELIVERY_FAILED: ordinal among CANNOT_PAY failures only (rule D11 counts those). */
  cannotPayNo?: number;
  /** DELIVERY_FAILED: the attempt number the handheld reported. */
  reportedAttempt?: number;
  smsSent?: boolean;
  /** OUT_FOR_DELIVERY */
  courierId?: string;
  courierPhone?: string | null;
  /** SIGNED (reported by another carrier), TRANSFERRED */
  carrier?: string | null;
}

/** A reply or action whose case does not exist yet (its registration is still on the way). */
export type ParkedEvent = ReplyEvent | ActionEvent;

export interface WaybillFacts {
  /** Scans sorted by event time (stable: equal times keep topic order). */
  scans: ScanFact[];
  failedAttempts: number;
  cannotPayAttempts: number;
  hubVisits: number;
  awaitingCase: ParkedEvent[];
}

export type DetectionHow =
  | 'REGISTRATION'
  | 'BRANCH_ARRIVAL'
  | 'HUB_DEPARTURE'
  | 'HUB_ARRIVAL'
  | 'HOLD'
  | 'DWELL'
  | 'DELIVERY_FAILED';

/** An event that opened the case or joined it as a further sighting of the same problem. */
export interface Detection {
  eventId: string;
  at: IsoTime;
  source: ProblemCase['detectedBy'];
  how: DetectionHow;
  site: string;
  reasonCode: string;
  /** HUB_DEPARTURE: the wrong branch the item is heading to. HOLD: the hold's own reason. */
  detail?: Record<string, string | null>;
}

export interface EvidenceItem {
  kind: 'PHOTO' | 'LETTER' | 'SMS_LOG' | 'OTHER';
  uri: string;
  sha256: string;
}

export interface RegistrationFact {
  eventId: string;
  /** occurredAt (UTC): when it was entered. */
  at: IsoTime;
  /** When the OB was notified: the call time for a phone fallback (D8), else `at`. */
  notifiedAt: IsoTime;
  site: string;
  siteType: 'HUB' | 'BRANCH';
  /** The registering site's role on this waybill. */
  role: Party;
  reasonCode: ReasonCode;
  channel: 'ONLINE' | 'PHONE_FALLBACK';
  notifyBranch: string | null;
  /** D9: it names a branch other than the real OB. */
  wrongTarget: boolean;
  /** D8: a phone fallback with contact name, phone number and call time; always true online. */
  proofComplete: boolean;
  operatorId: string | null;
  phone: { contactName: string | null; phone: string | null; calledAt: IsoTime | null } | null;
  description: string | null;
  evidence: EvidenceItem[];
  codChange: {
    newAmountFen: number | null;
    newMethod: 'CASH' | 'CHEQUE' | null;
    letter: { signedBy: string | null; stamped: boolean; verifiedWithSenderBy: string | null; evidenceSha256: string | null } | null;
  } | null;
  paymentChange: {
    newFreightPayer: 'SENDER' | 'RECIPIENT' | null;
    newFreightAmountFen: number | null;
    actualWeightKg: number | null;
    authorisedBy: string | null;
  } | null;
  complaint: { customerName: string; customerContact: string; channel: string } | null;
}

/**
 * Evidence stored for a case after its registration (uploaded through the staff API, content hash kept, immutable).
 * Like the evidence a registration lists, it can satisfy the §5 gates; see `evidence.ts`.
 */
export interface AttachedEvidenceFact {
  /** The command's event id (unique per evidence item: a re-publication of the same item is a duplicate). */
  eventId: string;
  evidenceId: string;
  /** When it was stored (UTC). */
  at: IsoTime;
  kind: EvidenceItem['kind'];
  uri: string;
  sha256: string;
  attachedBy: string;
  site: string;
  /** COD confirmation letter (§5): signed, stamped, verified with the sender by a named agent. */
  letter: { signedBy: string; stamped: boolean; verifiedWithSenderBy: string } | null;
  /** Return-receipt change letter (§5, §7): who authorised the change. */
  authorisedBy: string | null;
}

export interface ReplyFact {
  eventId: string;
  at: IsoTime;
  site: string;
  siteType: 'HUB' | 'BRANCH' | 'HQ';
  instruction: ReplyInstruction;
  repliedBy: string;
  newAddress: string | null;
}

export interface ActionFact {
  eventId: string;
  at: IsoTime;
  site: string;
  siteType: 'HUB' | 'BRANCH' | 'HQ';
  action: CaseAction;
  actor: string;
  note: string | null;
}

export interface AttemptFact {
  scanId: string;
  n: number;
  cannotPayNo: number | null;
  at: IsoTime;
  site: string;
  reasonCode: string;
  smsSent: boolean;
  /** §6: the SMS that proves a valid attempt that day: sent by the handheld, by us, or none possible. */
  smsEvidence: 'HANDHELD' | 'SYSTEM' | 'NONE';
}

export type ChangeStatus = 'REQUESTED' | 'APPLIED';

export interface CaseData {
  detections: Detection[];
  registrations: RegistrationFact[];
  replies: ReplyFact[];
  actions: ActionFact[];
  attempts: AttemptFact[];
  /** Ids of notifications issued on this case; the engine looks for an id on every case of the waybill before issuing it. */
  notified: string[];
  /** S1: event time of the supervisor notification, when one could be issued. */
  supervisorNotifiedAt: IsoTime | null;
  /** D11: event time of the notification to the sender. */
  senderNotifiedAt: IsoTime | null;
  /** §5 gates for COD / payment changes. */
  change: { status: ChangeStatus; appliedAt: IsoTime | null; blockedBy: string[] } | null;
  /** §5: what the case still lacks before it can move on. */
  missing: string[];
  /** §5 default procedure, once D5 was missed (NO_REPLY). */
  defaultProcedure: string | null;
  /** §5 RECIPIENT_INFO_MISMATCH: whose data prevails. */
  guidance: string | null;
  /** Review requested through `hqReviewOpened`, by liability id. */
  reviewsOpen: string[];
  /** Evidence stored after the registration (`evidenceAttached`); absent until the first item. */
  attachedEvidence?: AttachedEvidenceFact[];
}

export function emptyCaseData(): CaseData {
  return {
    detections: [],
    registrations: [],
    replies: [],
    actions: [],
    attempts: [],
    notified: [],
    supervisorNotifiedAt: null,
    senderNotifiedAt: null,
    change: null,
    missing: [],
    defaultProcedure: null,
    guidance: null,
    reviewsOpen: [],
  };
}

export function caseData(c: ProblemCase): CaseData {
  return c.data as unknown as CaseData;
}

export function emptyFacts(): WaybillFacts {
  return { scans: [], failedAttempts: 0, cannotPayAttempts: 0, hubVisits: 0, awaitingCase: [] };
}

export function factsOf(state: WaybillState): WaybillFacts {
  const facts = state.facts as Partial<WaybillFacts>;
  return facts.scans ? (facts as WaybillFacts) : emptyFacts();
}
