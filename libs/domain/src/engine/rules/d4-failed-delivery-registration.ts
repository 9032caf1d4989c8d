/**
 * D4 / D8 / D9 / D10 (rules.md §3, §4, §6): after every failed attempt the branch that failed (the DB) registers
 * it by the end of that local day (23:59:59.999, or its `closeTime`), online or by phone fallback, to the real
 * origin branch.
 *  - D8: a phone fallback counts from the call time and only with contact name, phone and call time.
 *  - D9: a registration naming another branch (`wrongTarget`) does not count; when every registration made in
 *    time had the wrong target, the liability carries rule D9 (none in time: D4).
 *  - D10: with no or an invalid recipient mobile the case is favourable to the DB: no DB liability.
 */
import { endOfLocalDay } from '../../time/index.js';
import { siteOf } from '../../policy/index.js';
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { caseData, type RegistrationFact } from '../model.js';
import { alertSite } from '../notifications.js';
import { iso } from '../time.js';
import type { Deadline, ProblemCase, RuleId } from '../types.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

function registrationsFor(c: ProblemCase, deadline: Deadline): RegistrationFact[] {
  return caseData(c).registrations.filter(
    (r) => r.siteType === 'BRANCH' && r.site === deadline.siteCode && r.notifiedAt >= deadline.armedAt,
  );
}

export const d4FailedDeliveryRegistration: DeadlineRule = {
  family: 'D4 (D8, D9, D10)',
  rules: ['D4'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    if (c.caseClass !== 'FAILED_DELIVERY') return [];
    return caseData(c).attempts.map((attempt) => ({
      id: deadlineIdFor(c.id, 'D4', `a${attempt.n}`),
      rule: 'D4',
      dueAt: iso(endOfLocalDay(attempt.at, ctx.zone, siteOf(ctx.policy, attempt.site)?.closeTime ?? null)),
      armedAt: attempt.at,
      party: ctx.roleOf(attempt.site, 'BRANCH'),
      siteCode: attempt.site,
      attempt: attempt.n,
      detail: { scanId: attempt.scanId, reasonCode: attempt.reasonCode, smsEvidence: attempt.smsEvidence },
    }));
  },

  /** The first registration after the failure that reached the real OB with complete proof. */
  meeting(_ctx: EngineContext, c: ProblemCase, deadline: Deadline): Meeting | null {
    const valid = registrationsFor(c, deadline)
      .filter((r) => !r.wrongTarget && r.proofComplete)
      .sort((a, b) => (a.notifiedAt < b.notifiedAt ? -1 : 1))[0];
    return valid
      ? { at: valid.notifiedAt, eventId: valid.eventId, evidence: { registration: valid.eventId, channel: valid.channel } }
      : null;
  },

  judge(_ctx: EngineContext, c: ProblemCase, deadline: Deadline): MissJudgement {
    const inTime = registrationsFor(c, deadline).filter((r) => r.notifiedAt <= deadline.dueAt);
    let rule: RuleId = 'D4';
    if (inTime.length > 0) {
      rule = inTime.every((r) => r.wrongTarget) ? 'D9' : 'D8';
    }
    return {
      rule,
      party: deadline.party,
      siteCode: deadline.siteCode,
      exempt: c.flags.favourableToDb,
      evidence: {
        attempt: deadline.attempt ?? null,
        registrationsInTime: inTime.map((r) => ({ eventId: r.eventId, wrongTarget: r.wrongTarget, notifyBranch: r.notifyBranch, proofComplete: r.proofComplete })),
        smsEvidence: deadline.detail?.smsEvidence ?? null,
      },
    };
  },

  /** §6: the OB hears about the failure when the DB's registration deadline is missed. */
  onMissed(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void {
    const ob = ctx.originBranch;
    if (!ob) return;
    alertSite(ctx, c, {
      kind: 'OB_ALERT',
      site: ob,
      role: 'OB',
      discriminator: `${deadline.rule}-a${deadline.attempt ?? 0}-missed`,
      eventTime: deadline.dueAt,
      message: `the delivering branch did not register failed attempt ${deadline.attempt ?? ''} in time`,
      vars: { rule: 'D4', deadlineId: deadline.id },
    });
  },
};
