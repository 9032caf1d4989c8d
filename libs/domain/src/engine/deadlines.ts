/**
 * The deadline lifecycle (rules.md §3, §4), shared by every rule: a rule says which deadlines should exist and
 * what meets them; this module arms, moves, meets, cancels, misses and retracts, and writes the liability.
 *
 * Every armed deadline ends in exactly one outcome: MET, MISSED or CANCELLED (and a MISSED one may later be
 * RETRACTED by a late event that proves it was met). All judgements use event time:
 *  - met      : the meeting event's time is at or before `dueAt` (and before the case closed / a later
 *               instruction superseded the deadline);
 *  - cancelled: the case closed (or the deadline was superseded) *before* `dueAt` without it being met. A
 *               cancellation is provisional like a miss: a late event proving it was met before that turns it
 *               into MET (a cancelled deadline carries no liability, so nothing needs retracting);
 *  - missed   : only when its timer fires (the deadline service, or the replay clock): a case closed after
 *               `dueAt` does not cancel a deadline that was already overdue by event time;
 *  - withdrawn: a deadline whose source fact moved to another case (or whose detection was retracted) is
 *               CANCELLED with `detail.withdrawn`; it is not an outcome of the rule, and reports skip it.
 */
import type { EngineContext, Source } from './context.js';
import { recordLiability, retractLiability } from './liability.js';
import type { DeadlineRule, Meeting, MissJudgement } from './rules/rule.js';
import { earliest } from './time.js';
import type { Deadline, IsoTime, ProblemCase } from './types.js';

function snapshot(deadline: Deadline): Deadline {
  return { ...deadline, detail: deadline.detail ? { ...deadline.detail } : deadline.detail };
}

function isWithdrawn(deadline: Deadline): boolean {
  return deadline.detail?.withdrawn === true;
}

/** Arms, moves and withdraws `rule`'s deadlines on the case to match what its facts call for, then evaluates them. */
export function reconcileRule(ctx: EngineContext, c: ProblemCase, rule: DeadlineRule, source: Source): void {
  const desired = rule.desired(ctx, c);
  const wanted = new Set<string>();
  for (const want of desired) {
    wanted.add(want.id);
    const existing = c.deadlines.find((d) => d.id === want.id);
    if (!existing) {
      const deadline: Deadline = {
        id: want.id,
        caseId: c.id,
        rule: want.rule,
        dueAt: want.dueAt,
        party: want.party,
        siteCode: want.siteCode,
        status: 'PENDING',
        armedAt: want.armedAt,
        metAt: null,
        missedAt: null,
        cancelledAt: null,
        ...(want.attempt !== undefined ? { attempt: want.attempt } : {}),
        ...(want.detail ? { detail: want.detail } : {}),
      };
      c.deadlines.push(deadline);
      ctx.emit({ type: 'DeadlineArmed', deadline: snapshot(deadline) });
    } else if (existing.status === 'CANCELLED' && isWithdrawn(existing)) {
      // Its source fact came back to this case (or, for the ladder, a new overdue stands): armed afresh, as
      // `want` says — a withdrawn escalation step may come back for another liable party and site.
      Object.assign(existing, {
        status: 'PENDING',
        dueAt: want.dueAt,
        armedAt: want.armedAt,
        party: want.party,
        siteCode: want.siteCode,
        metAt: null,
        missedAt: null,
        cancelledAt: null,
        detail: want.detail,
        ...(want.attempt !== undefined ? { attempt: want.attempt } : {}),
      });
      ctx.emit({ type: 'DeadlineArmed', deadline: snapshot(existing) });
    } else if (existing.status !== 'MISSED' && existing.status !== 'RETRACTED' && (existing.dueAt !== want.dueAt || existing.armedAt !== want.armedAt)) {
      // A fact with an earlier event time arrived later (e.g. a registration behind D5's clock start, the
      // arrival scan behind D3's). A judgement made on the old clock is re-made on the new one: MET and
      // CANCELLED were provisional on it. A MISSED deadline keeps its liability (a late proof retracts it).
      const previousDueAt = existing.dueAt;
      Object.assign(existing, {
        status: 'PENDING',
        dueAt: want.dueAt,
        armedAt: want.armedAt,
        party: want.party,
        siteCode: want.siteCode,
        metAt: null,
        cancelledAt: null,
        detail: want.detail,
      });
      ctx.emit({ type: 'DeadlineMoved', deadline: snapshot(existing), previousDueAt });
    }
  }
  for (const deadline of c.deadlines) {
    // The fact behind it moved to another case: MET / CANCELLED / PENDING judgements go with it; a MISSED one
    // stays (its liability record is history, and a late proof still retracts it).
    const judgedWithLiability = deadline.status === 'MISSED' || deadline.status === 'RETRACTED';
    if (!judgedWithLiability && !isWithdrawn(deadline) && rule.rules.includes(deadline.rule) && !wanted.has(deadline.id)) {
      deadline.status = 'CANCELLED';
      deadline.detail = { ...deadline.detail, withdrawn: true };
      ctx.emit({ type: 'DeadlineCancelled', deadline: snapshot(deadline) });
    }
  }
  for (const deadline of c.deadlines) {
    if (rule.rules.includes(deadline.rule)) evaluate(ctx, c, rule, deadline, source);
  }
}

/** Applies what the facts say about one deadline (met / cancelled / retracted); misses only come from `fireDeadline`. */
export function evaluate(ctx: EngineContext, c: ProblemCase, rule: DeadlineRule, deadline: Deadline, source: Source): void {
  if (isWithdrawn(deadline) || deadline.status === 'MET' || deadline.status === 'RETRACTED') return;
  const meeting = rule.meeting(ctx, c, deadline);
  const inTime = meeting && meeting.at <= deadline.dueAt ? meeting : null;
  const end = earliest([c.closedAt, rule.supersededAt?.(ctx, c, deadline)]);
  if (deadline.status === 'PENDING') {
    if (inTime && (end === null || inTime.at <= end)) {
      markMet(ctx, deadline, inTime);
    } else if (end !== null && end <= deadline.dueAt) {
      deadline.status = 'CANCELLED';
      deadline.cancelledAt = end;
      ctx.emit({ type: 'DeadlineCancelled', deadline: snapshot(deadline) });
    }
  } else if (deadline.status === 'CANCELLED') {
    if (inTime && inTime.at <= (deadline.cancelledAt ?? deadline.dueAt)) markMet(ctx, deadline, inTime);
  } else if (deadline.status === 'MISSED' && inTime) {
    deadline.status = 'RETRACTED';
    deadline.metAt = inTime.at;
    deadline.detail = { ...deadline.detail, metBy: inTime.evidence };
    retractLiability(ctx, c, deadline, source.at);
    rule.onRetracted?.(ctx, c, deadline);
    ctx.emit({ type: 'DeadlineRetracted', deadline: snapshot(deadline) });
  }
}

function markMet(ctx: EngineContext, deadline: Deadline, meeting: Meeting): void {
  deadline.status = 'MET';
  deadline.metAt = meeting.at;
  deadline.detail = { ...deadline.detail, metBy: meeting.evidence };
  ctx.emit({ type: 'DeadlineMet', deadline: snapshot(deadline) });
}

/**
 * The deadline's timer came due (`firedAt`: processing time, recorded only). Unless the facts show it met or
 * cancelled, it is MISSED: a liability record (unless D10 exempts the DB) and the rule's consequences.
 * Returns the judgement when a liability was recorded.
 */
export function fireDeadline(
  ctx: EngineContext,
  c: ProblemCase,
  rule: DeadlineRule,
  deadline: Deadline,
  firedAt: IsoTime,
  source: Source,
): MissJudgement | null {
  evaluate(ctx, c, rule, deadline, source);
  if (deadline.status !== 'PENDING') return null;
  const late = rule.meeting(ctx, c, deadline);
  deadline.status = 'MISSED';
  deadline.missedAt = firedAt;
  deadline.metAt = late?.at ?? null;
  const judgement = rule.judge(ctx, c, deadline);
  if (judgement?.exempt) {
    deadline.detail = { ...deadline.detail, favourableToDb: true };
  }
  ctx.emit({ type: 'DeadlineMissed', deadline: snapshot(deadline) });
  let recorded: MissJudgement | null = null;
  if (judgement && !judgement.exempt) {
    recordLiability(ctx, c, deadline, judgement, firedAt);
    recorded = judgement;
  }
  rule.onMissed?.(ctx, c, deadline);
  return recorded;
}
