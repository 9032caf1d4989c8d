/**
 * C1–C3 (rules.md §3): a complaint is contacted within 12 h (C1 → escalate to the supervisor), responded to
 * within 24 h (C2 → escalate; Decision: to the supervisor as well, the manager being C3's), and answered by
 * the end of the 3rd working day strictly after the registration day (C3 → escalate to the manager). Met by
 * case actions; a later action also meets the earlier steps (an answer is a response and a contact).
 * Decision: the responsible party is customer service (CS) at the registering site.
 */
import { endOfNthWorkingDayAfter } from '../../time/index.js';
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { caseData } from '../model.js';
import { alertStaff } from '../notifications.js';
import { iso, plusMinutes } from '../time.js';
import type { Deadline, ProblemCase, RuleId } from '../types.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

const MET_BY: Record<'C1' | 'C2' | 'C3', ReadonlySet<string>> = {
  C1: new Set(['COMPLAINT_CONTACTED', 'COMPLAINT_RESPONDED', 'COMPLAINT_ANSWERED']),
  C2: new Set(['COMPLAINT_RESPONDED', 'COMPLAINT_ANSWERED']),
  C3: new Set(['COMPLAINT_ANSWERED']),
};

const ESCALATE_TO: Record<'C1' | 'C2' | 'C3', 'supervisor' | 'manager'> = { C1: 'supervisor', C2: 'supervisor', C3: 'manager' };

export const c1c3Complaint: DeadlineRule = {
  family: 'C1–C3',
  rules: ['C1', 'C2', 'C3'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    if (c.caseClass !== 'COMPLAINT' || !c.registeredAt) return [];
    const start = c.registeredAt;
    const site = c.reportedBySite;
    const make = (rule: RuleId, dueAt: string): DesiredDeadline => ({
      id: deadlineIdFor(c.id, rule),
      rule,
      dueAt,
      armedAt: start,
      party: 'CS',
      siteCode: site,
    });
    return [
      make('C1', plusMinutes(start, ctx.policy.durations.c1)),
      make('C2', plusMinutes(start, ctx.policy.durations.c2)),
      make('C3', iso(endOfNthWorkingDayAfter(start, ctx.policy.c3WorkingDays, ctx.policy.calendar, ctx.zone))),
    ];
  },

  meeting(_ctx: EngineContext, c: ProblemCase, deadline: Deadline): Meeting | null {
    const accepted = MET_BY[deadline.rule as 'C1' | 'C2' | 'C3'];
    const action = caseData(c)
      .actions.filter((a) => accepted.has(a.action))
      .sort((a, b) => (a.at < b.at ? -1 : 1))[0];
    return action ? { at: action.at, eventId: action.eventId, evidence: { action: action.action, actor: action.actor } } : null;
  },

  judge(_ctx: EngineContext, _c: ProblemCase, deadline: Deadline): MissJudgement {
    return { rule: deadline.rule, party: 'CS', siteCode: deadline.siteCode, exempt: false, evidence: {} };
  },

  onMissed(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void {
    const rule = deadline.rule as 'C1' | 'C2' | 'C3';
    alertStaff(ctx, c, {
      kind: 'COMPLAINT_ESCALATION',
      site: deadline.siteCode ?? 'HQ',
      staff: ESCALATE_TO[rule],
      fallbackToSite: true,
      discriminator: rule,
      eventTime: deadline.dueAt,
      message: `complaint ${rule} deadline missed`,
      vars: { rule },
    });
  },
};
