/**
 * D11 (rules.md §3, §5): the 2nd DELIVERY_FAILED with reason CANNOT_PAY on a waybill (only those count) requires
 * a notification to the sender immediately; the system issues it while handling that scan, stamped with its
 * event time. Missed (it could not be issued: no valid sender mobile) → escalate to customer service.
 */
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { caseData } from '../model.js';
import { alertStaff } from '../notifications.js';
import type { Deadline, ProblemCase } from '../types.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

export const CANNOT_PAY_ATTEMPTS_BEFORE_SENDER = 2;

export const d11CannotPay: DeadlineRule = {
  family: 'D11',
  rules: ['D11'],

  desired(_ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    if (c.caseClass !== 'FAILED_DELIVERY') return [];
    const trigger = caseData(c).attempts.find((a) => a.cannotPayNo === CANNOT_PAY_ATTEMPTS_BEFORE_SENDER);
    if (!trigger) return [];
    return [
      {
        id: deadlineIdFor(c.id, 'D11'),
        rule: 'D11',
        dueAt: trigger.at,
        armedAt: trigger.at,
        party: 'CS',
        siteCode: trigger.site,
        attempt: trigger.n,
        detail: { scanId: trigger.scanId },
      },
    ];
  },

  meeting(_ctx: EngineContext, c: ProblemCase): Meeting | null {
    const at = caseData(c).senderNotifiedAt;
    return at ? { at, eventId: null, evidence: { senderNotifiedAt: at } } : null;
  },

  judge(_ctx: EngineContext, _c: ProblemCase, deadline: Deadline): MissJudgement {
    return { rule: 'D11', party: 'CS', siteCode: deadline.siteCode, exempt: false, evidence: { reason: 'sender could not be notified' } };
  },

  onMissed(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void {
    alertStaff(ctx, c, {
      kind: 'CS_ESCALATION',
      site: deadline.siteCode ?? 'HQ',
      staff: 'cs',
      fallbackToSite: true,
      discriminator: 'D11',
      eventTime: deadline.dueAt,
      message: 'recipient cannot pay after 2 attempts and the sender could not be notified',
      vars: { rule: 'D11' },
    });
  },
};
