/**
 * S1 (rules.md §3, §5): for DAMAGE and LOSS a supervisor is notified within 2 h of the registration. The system
 * issues that notification while handling the registration, stamped with its event time, so S1 is met unless
 * it cannot be issued (no supervisor configured for the registering site) — then it is missed and escalates.
 */
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { caseData } from '../model.js';
import { alertHq } from '../notifications.js';
import { plusMinutes } from '../time.js';
import type { Deadline, ProblemCase } from '../types.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

export const S1_CLASSES: ReadonlySet<string> = new Set(['DAMAGE', 'LOSS']);

export const s1Supervisor: DeadlineRule = {
  family: 'S1',
  rules: ['S1'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    if (!S1_CLASSES.has(c.caseClass) || !c.registeredAt) return [];
    const first = caseData(c).registrations.find((r) => r.at === c.registeredAt);
    return [
      {
        id: deadlineIdFor(c.id, 'S1'),
        rule: 'S1',
        dueAt: plusMinutes(c.registeredAt, ctx.policy.durations.s1),
        armedAt: c.registeredAt,
        party: first?.role ?? 'HQ',
        siteCode: c.reportedBySite,
      },
    ];
  },

  meeting(_ctx: EngineContext, c: ProblemCase): Meeting | null {
    const at = caseData(c).supervisorNotifiedAt;
    return at ? { at, eventId: null, evidence: { supervisorNotifiedAt: at } } : null;
  },

  judge(_ctx: EngineContext, _c: ProblemCase, deadline: Deadline): MissJudgement {
    return { rule: 'S1', party: deadline.party, siteCode: deadline.siteCode, exempt: false, evidence: { reason: 'no supervisor could be notified' } };
  },

  onMissed(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void {
    alertHq(ctx, c, {
      kind: 'ESCALATION',
      discriminator: 'S1',
      eventTime: deadline.dueAt,
      message: `no supervisor was notified within 2 h (site ${deadline.siteCode ?? 'unknown'})`,
      vars: { rule: 'S1' },
    });
  },
};
