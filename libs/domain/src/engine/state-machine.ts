/**
 * rules.md §7: case lifecycle. States OPEN → NOTIFIED → AWAITING_REPLY → INSTRUCTED → IN_ACTION → RESOLVED →
 * CLOSED are *derived* from the case's facts (so they do not depend on the order events arrive in), and every
 * change is kept in the timeline with actor, event time and source event. Flags OVERDUE(rule, party),
 * ESCALATED(level), NO_REPLY, UNDER_HQ_REVIEW. The escalation ladder (policy `escalation.steps`): at an
 * overdue the steps with `afterMinutes` 0 fire at once (default: alert the responsible site); each later step
 * is a timer ESC1, ESC2, … counted from the first standing overdue's due time (default +2 h the site's
 * supervisor, +24 h HQ), cancelled when the case closes first or the overdue is retracted.
 */
import type { CaseClass } from '#contracts';
import { localMonthKey } from '../time/index.js';
import { caseForEventAt, caseIdFor, deadlineIdFor } from './case-identity.js';
import type { EngineContext, Source } from './context.js';
import { firstScanFrom } from './facts.js';
import { effectiveLiabilities } from './liability.js';
import { caseData, emptyCaseData, type Detection } from './model.js';
import { alertHq, alertSite, alertStaff, normaliseMobile } from './notifications.js';
import { validReplies } from './rules/replies.js';
import type { DeadlineRule, DesiredDeadline, MissJudgement } from './rules/rule.js';
import { plusMinutes } from './time.js';
import type { CaseState, Deadline, ProblemCase, RuleId } from './types.js';

/** Scans showing an instruction being carried out. */
const ACTION_SCANS: ReadonlySet<string> = new Set(['OUT_FOR_DELIVERY', 'RETURN_DISPATCHED', 'TRANSFERRED', 'HUB_DEPARTURE', 'SIGNED']);
const SOURCE_RANK: Record<ProblemCase['detectedBy'], number> = { SCAN: 0, DWELL_TIMER: 1, REGISTRATION: 2 };

function byTime(a: Detection, b: Detection): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.source !== b.source) return SOURCE_RANK[a.source] - SOURCE_RANK[b.source];
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

// ------------------------------------------------------------------------------------- opening, identity

/**
 * The case an event of `caseClass` at its event time belongs to (see `caseForEventAt`), opened when there is
 * none: at most one OPEN case per (waybill, class). Returns the case, cloned for writing, with the detection
 * recorded.
 */
export function openOrJoinCase(ctx: EngineContext, caseClass: CaseClass, detection: Detection, actor: string): ProblemCase {
  const existing = caseForEventAt(ctx.state.cases, caseClass, detection.at, (c) => reportsSameProblem(c, detection));
  if (existing) {
    const c = ctx.mutableCase(existing.id);
    const data = caseData(c);
    if (!data.detections.some((d) => d.eventId === detection.eventId)) {
      data.detections.push(detection);
      refreshCase(ctx, c);
    }
    return c;
  }
  const n = ctx.state.cases.filter((c) => c.caseClass === caseClass).length + 1;
  const c: ProblemCase = {
    id: caseIdFor(ctx.state.waybillNo, caseClass, n),
    caseNo: null,
    caseNoMonth: localMonthKey(detection.at, ctx.zone),
    waybillNo: ctx.state.waybillNo,
    caseClass,
    reasonCode: detection.reasonCode,
    state: 'OPEN',
    flags: { overdue: [], escalationLevel: 0, noReply: false, underHqReview: false, favourableToDb: false, wrongTarget: false },
    openedAt: detection.at,
    closedAt: null,
    outcome: null,
    originBranch: ctx.originBranch,
    deliveringBranch: ctx.deliveringBranch,
    reportedBySite: detection.site,
    registeredAt: null,
    detectedBy: detection.source,
    timeline: [{ at: detection.at, from: null, to: 'OPEN', actor, sourceEventId: detection.eventId }],
    deadlines: [],
    liabilities: [],
    data: emptyCaseData() as unknown as Record<string, unknown>,
  };
  caseData(c).detections.push(detection);
  refreshCase(ctx, c);
  ctx.addCase(c);
  ctx.emit({ type: 'CaseOpened', caseId: c.id });
  return c;
}

/** A registration repeating, from the same site, a problem the case already has on record (a late report, not a new problem). */
export function reportsSameProblem(c: ProblemCase, detection: Pick<Detection, 'eventId' | 'source' | 'site' | 'reasonCode'>): boolean {
  return (
    detection.source === 'REGISTRATION' &&
    caseData(c).detections.some((d) => d.eventId !== detection.eventId && d.site === detection.site && d.reasonCode === detection.reasonCode)
  );
}

/**
 * Re-derives the attributes that follow from the case's facts: the earliest sighting decides when it opened,
 * its reason and how it was detected; the first registration decides who reported it and when.
 */
export function refreshCase(ctx: EngineContext, c: ProblemCase): void {
  const data = caseData(c);
  const first = [...data.detections].sort(byTime)[0];
  if (first) {
    c.openedAt = first.at;
    c.reasonCode = first.reasonCode;
    c.detectedBy = first.source;
  }
  const firstRegistration = [...data.registrations].sort((a, b) => (a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.eventId < b.eventId ? -1 : 1))[0];
  c.registeredAt = firstRegistration?.at ?? null;
  c.reportedBySite = firstRegistration?.site ?? first?.site ?? c.reportedBySite;
  c.flags.wrongTarget = data.registrations.some((r) => r.wrongTarget);
  // D10: judged on the waybill's recipient mobile, for failed deliveries only.
  c.flags.favourableToDb = c.caseClass === 'FAILED_DELIVERY' && normaliseMobile(ctx.state.pickup?.recipient.mobile) === null;
  c.originBranch = ctx.originBranch;
  c.deliveringBranch = ctx.deliveringBranch;
}

// ------------------------------------------------------------------------------------------ states

export function deriveState(ctx: EngineContext, c: ProblemCase): CaseState {
  if (c.closedAt) return 'CLOSED';
  const data = caseData(c);
  if (c.flags.noReply || data.change?.status === 'APPLIED') return 'IN_ACTION';
  if (c.caseClass === 'COMPLAINT' && data.actions.some((a) => a.action === 'COMPLAINT_CONTACTED' || a.action === 'COMPLAINT_RESPONDED')) {
    return 'IN_ACTION';
  }
  const replies = validReplies(ctx, c);
  if (replies.length > 0) {
    const latest = replies[replies.length - 1];
    return firstScanFrom(ctx.facts.scans, latest.at, (s) => ACTION_SCANS.has(s.type)) ? 'IN_ACTION' : 'INSTRUCTED';
  }
  if (c.deadlines.some((d) => d.rule === 'D5' && d.detail?.withdrawn !== true)) return 'AWAITING_REPLY';
  if (data.registrations.length > 0) return 'NOTIFIED';
  return 'OPEN';
}

export function transition(ctx: EngineContext, c: ProblemCase, to: CaseState, source: Source, note?: string): void {
  if (c.state === to) return;
  const from = c.state;
  c.timeline.push({ at: source.at, from, to, actor: source.actor, sourceEventId: source.eventId, ...(note ? { note } : {}) });
  c.state = to;
  ctx.emit({ type: 'CaseChanged', caseId: c.id, from, to });
}

/** Records a non-transition fact in the timeline (HQ review, re-homed registration). */
export function note(c: ProblemCase, source: Source, text: string): void {
  c.timeline.push({ at: source.at, from: c.state, to: c.state, actor: source.actor, sourceEventId: source.eventId, note: text });
}

export function applyDerivedState(ctx: EngineContext, c: ProblemCase, source: Source): void {
  if (c.closedAt) return; // closing sets RESOLVED → CLOSED itself
  transition(ctx, c, deriveState(ctx, c), source);
}

/** Overdue and review flags from the liability records (append-only; retractions and HQ cancels drop out). */
export function refreshFlags(c: ProblemCase): void {
  const standing = effectiveLiabilities(c);
  c.flags.overdue = standing.map((s) => ({ rule: s.record.rule, party: s.party, siteCode: s.siteCode, deadlineId: s.record.deadlineId }));
  const reviewed = new Set(c.liabilities.filter((r) => r.kind === 'HQ_REVIEW').map((r) => r.refersTo));
  c.flags.underHqReview = caseData(c).reviewsOpen.some((id) => !reviewed.has(id));
}

// --------------------------------------------------------------------------------------- escalation

/** Immediate ladder steps (afterMinutes 0) when a liability is recorded. */
export function escalateOverdue(ctx: EngineContext, c: ProblemCase, deadline: Deadline, judgement: MissJudgement): void {
  for (const step of ctx.policy.escalation.steps) {
    if (step.afterMinutes === 0) escalateTo(ctx, c, step.target, judgement.siteCode, judgement.party, `${deadline.id}-overdue`, deadline.dueAt, judgement.rule);
  }
}

function escalateTo(
  ctx: EngineContext,
  c: ProblemCase,
  target: 'SITE' | 'SUPERVISOR' | 'HQ',
  site: string | null,
  party: string,
  discriminator: string,
  eventTime: string,
  rule: RuleId,
): void {
  const message = `overdue: rule ${rule} (${party}${site ? ` ${site}` : ''})`;
  const vars = { rule, party, site };
  if (target === 'SITE' && site) {
    alertSite(ctx, c, { kind: 'OVERDUE', site, role: party, discriminator, eventTime, message, vars });
  } else if (target === 'SUPERVISOR' && site) {
    alertStaff(ctx, c, { kind: 'ESCALATION', site, staff: 'supervisor', fallbackToSite: true, discriminator, eventTime, message, vars });
  } else {
    alertHq(ctx, c, { kind: 'ESCALATION', discriminator, eventTime, message, vars });
  }
}

const LADDER_RULES: RuleId[] = Array.from({ length: 20 }, (_, i) => `ESC${i + 1}` as RuleId);

export const escalationLadder: DeadlineRule = {
  family: 'ESC (escalation ladder)',
  rules: LADDER_RULES,

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    const standing = effectiveLiabilities(c).filter((s) => s.record.dueAt !== null);
    if (standing.length === 0) return [];
    const first = standing.reduce((a, b) => (b.record.dueAt! < a.record.dueAt! ? b : a));
    const timed = ctx.policy.escalation.steps.filter((step) => step.afterMinutes > 0);
    return timed.map((step, i) => ({
      id: deadlineIdFor(c.id, `ESC${i + 1}` as RuleId),
      rule: `ESC${i + 1}` as RuleId,
      dueAt: plusMinutes(first.record.dueAt!, step.afterMinutes),
      armedAt: first.record.dueAt!,
      party: first.party,
      siteCode: first.siteCode,
      detail: { level: i + 1, target: step.target, overdueRule: first.record.rule, liabilityId: first.record.id },
    }));
  },

  /** Nothing meets a ladder step: only the case closing (or the overdue going away) cancels it. */
  meeting: () => null,
  judge: () => null,

  onMissed(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void {
    const level = Number(deadline.detail?.level ?? 0);
    const target = (deadline.detail?.target ?? 'HQ') as 'SITE' | 'SUPERVISOR' | 'HQ';
    const overdueRule = (deadline.detail?.overdueRule ?? deadline.rule) as RuleId;
    c.flags.escalationLevel = Math.max(c.flags.escalationLevel, level);
    ctx.emit({ type: 'Escalated', caseId: c.id, level, rule: overdueRule });
    escalateTo(ctx, c, target, deadline.siteCode, deadline.party, `ESC${level}`, deadline.dueAt, overdueRule);
  },
};
