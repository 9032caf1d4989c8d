/**
 * Deterministic identities (cases, deadlines, liability records, notifications) and the rules that decide
 * which case an event belongs to. Re-running a decision, or replaying the same events in another legal order,
 * yields the same ids, so every downstream store can be idempotent on them.
 */
import { createHash } from 'node:crypto';
import type { CaseClass, CaseRef } from '#contracts';
import type { ProblemCase, RuleId, WaybillState } from './types.js';

/** `${waybillNo}-${class}-${n}`: n counts the cases of that class on the waybill (1, 2, …). */
export function caseIdFor(waybillNo: string, caseClass: CaseClass, n: number): string {
  return `${waybillNo}-${caseClass}-${n}`;
}

/** Deadline id: `${caseId}-${rule}` or `${caseId}-${rule}-${qualifier}` where a rule repeats (attempt, site, reply). */
export function deadlineIdFor(caseId: string, rule: RuleId, qualifier?: string): string {
  return qualifier ? `${caseId}-${rule}-${qualifier}` : `${caseId}-${rule}`;
}

export function dwellTimerId(waybillNo: string, visit: number): string {
  return `${waybillNo}-DWELL-v${visit}`;
}

/** The waybill a deadline id belongs to: waybill numbers are `[A-Z0-9]+`, so the id starts with it up to the first '-'. */
export function waybillOfDeadlineId(deadlineId: string): string {
  const dash = deadlineId.indexOf('-');
  return dash < 0 ? deadlineId : deadlineId.slice(0, dash);
}

/**
 * A token safe inside ids (BullMQ job ids must not contain ':'; ids stay readable): the value itself when it is
 * short and plain, else a 12-hex-digit digest of it.
 */
export function idToken(value: string): string {
  if (/^[A-Za-z0-9_]{1,32}$/.test(value)) return value;
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

/**
 * Notification identity (case, kind, target, attempt) of rules.md §6. `scope` is the case id, or the waybill
 * number for a notification about one event, which `attempt` then names (see `NotificationScope`).
 */
export function notificationIdFor(scope: string, kind: string, target: string, attempt: string | number): string {
  return `${scope}-${kind}-${idToken(target)}-${attempt}`;
}

/**
 * The case of `caseClass` an event at `at` belongs to: the first case (in opening order) that was still open at
 * that event time — open now, or closed at or after `at`. An event later than every closing starts a new case,
 * unless it reports the very problem a closed case was about (`isSameProblem`: e.g. the hub registering, late,
 * the missent its own HUB_ARRIVAL revealed). Events that predate a case's opening join it (clocks and topics
 * disagree by minutes, not problems).
 */
export function caseForEventAt(
  cases: readonly ProblemCase[],
  caseClass: CaseClass,
  at: string,
  isSameProblem: (c: ProblemCase) => boolean = () => false,
): ProblemCase | null {
  for (const c of cases) {
    if (c.caseClass === caseClass && (c.closedAt === null || c.closedAt >= at)) return c;
  }
  // A late report of a problem a closed case already covers (same reason, same site) joins that case.
  for (let i = cases.length - 1; i >= 0; i--) {
    if (cases[i].caseClass === caseClass && isSameProblem(cases[i])) return cases[i];
  }
  return null;
}

/**
 * The case a reply or action names. By case number: that case. By (waybill, class): the case of that class
 * open at the event time; else the latest one opened before it (a late instruction on a closed case is
 * recorded there); else the first one (an instruction stamped before the case opened).
 */
export function resolveCaseRef(state: WaybillState, ref: CaseRef, at: string): ProblemCase | null {
  if ('caseNo' in ref) {
    return state.cases.find((c) => c.caseNo === ref.caseNo) ?? null;
  }
  const ofClass = state.cases.filter((c) => c.caseClass === ref.class);
  if (ofClass.length === 0) return null;
  const openAt = ofClass.find((c) => c.openedAt <= at && (c.closedAt === null || c.closedAt >= at));
  if (openAt) return openAt;
  const before = ofClass.filter((c) => c.openedAt <= at);
  return before.length > 0 ? before[before.length - 1] : ofClass[0];
}
