/**
 * D5 (rules.md §3): the origin branch replies within 24 h (policy `durations.d5`, calendar hours) of the first
 * valid notification of a case registered by the DB (registration time; for a phone fallback the call time).
 * Later registrations do not restart it; one stamped earlier that arrives later moves it. Missed → OB
 * liability, NO_REPLY, and the class's default procedure (§5); the DB is not liable for the delay that follows
 * (the engine arms no DB deadline for the default procedure).
 *
 * Decision: complaints are not registered for an OB instruction (C1–C3 govern them), so D5 skips COMPLAINT.
 */
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { defaultProcedureFor } from '../handling.js';
import { caseData } from '../model.js';
import { alertSite } from '../notifications.js';
import { earliest, plusMinutes } from '../time.js';
import type { Deadline, ProblemCase } from '../types.js';
import { validReplies } from './replies.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

export const d5OriginReply: DeadlineRule = {
  family: 'D5',
  rules: ['D5'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    if (c.caseClass === 'COMPLAINT' || !ctx.originBranch) return [];
    const start = earliest(
      caseData(c)
        .registrations.filter((r) => r.role === 'DB' && !r.wrongTarget && r.proofComplete)
        .map((r) => r.notifiedAt),
    );
    if (!start) return [];
    return [
      {
        id: deadlineIdFor(c.id, 'D5'),
        rule: 'D5',
        dueAt: plusMinutes(start, ctx.policy.durations.d5),
        armedAt: start,
        party: 'OB',
        siteCode: ctx.originBranch,
      },
    ];
  },

  /** A valid reply (from the OB, or HQ acting for it). */
  meeting(ctx: EngineContext, c: ProblemCase): Meeting | null {
    const reply = validReplies(ctx, c)[0];
    return reply ? { at: reply.at, eventId: reply.eventId, evidence: { reply: reply.eventId, instruction: reply.instruction } } : null;
  },

  judge(_ctx: EngineContext, _c: ProblemCase, deadline: Deadline): MissJudgement {
    return { rule: 'D5', party: 'OB', siteCode: deadline.siteCode, exempt: false, evidence: { noReply: true } };
  },

  onMissed(ctx: EngineContext, c: ProblemCase, deadline: Deadline): void {
    c.flags.noReply = true;
    const procedure = defaultProcedureFor(c.caseClass);
    caseData(c).defaultProcedure = procedure;
    const db = ctx.deliveringBranch;
    if (db && procedure) {
      alertSite(ctx, c, {
        kind: 'DEFAULT_PROCEDURE',
        site: db,
        role: 'DB',
        discriminator: 'D5',
        eventTime: deadline.dueAt,
        message: `no reply from the origin branch within 24 h: ${procedure}`,
        vars: { procedure },
      });
    }
  },

  onRetracted(_ctx: EngineContext, c: ProblemCase): void {
    c.flags.noReply = false;
    caseData(c).defaultProcedure = null;
  },
};
