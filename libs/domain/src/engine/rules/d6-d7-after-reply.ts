/**
 * D6 / D7 (rules.md §3): after the OB's instruction the DB must act.
 *  - D6: DELIVER / REDELIVER_NEW_ADDRESS → SIGNED within 24 h (policy `durations.d6`).
 *  - D7: RETURN → RETURN_DISPATCHED by the DB's first scheduled departure after the reply when the reply came on
 *    the same local day as the case's registration, else within 24 h (`durations.d7LaterDay`).
 *    Decision: a branch without configured departures, and a case never registered, use the 24 h rule.
 * A later valid reply supersedes an earlier instruction: its deadline ends (CANCELLED) unless already met or
 * missed by then. D10 (favourable to DB) exempts the DB from liability for both.
 */
import { firstDepartureAfter, isSameLocalDay } from '../../time/index.js';
import { siteOf } from '../../policy/index.js';
import { deadlineIdFor, idToken } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { firstScanFrom } from '../facts.js';
import type { ReplyFact } from '../model.js';
import { iso, plusMinutes } from '../time.js';
import type { Deadline, ProblemCase } from '../types.js';
import { validReplies } from './replies.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

const DELIVER_INSTRUCTIONS: ReadonlySet<string> = new Set(['DELIVER', 'REDELIVER_NEW_ADDRESS']);

function d7DueAt(ctx: EngineContext, c: ProblemCase, reply: ReplyFact): { dueAt: string; basis: string } {
  const departures = (ctx.deliveringBranch && siteOf(ctx.policy, ctx.deliveringBranch)?.departures) || [];
  if (c.registeredAt && isSameLocalDay(reply.at, c.registeredAt, ctx.zone)) {
    const departure = firstDepartureAfter(reply.at, departures, ctx.zone);
    if (departure) return { dueAt: iso(departure), basis: 'FIRST_DEPARTURE' };
  }
  return { dueAt: plusMinutes(reply.at, ctx.policy.durations.d7LaterDay), basis: 'LATER_DAY' };
}

export const d6d7AfterReply: DeadlineRule = {
  family: 'D6/D7',
  rules: ['D6', 'D7'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    const desired: DesiredDeadline[] = [];
    for (const reply of validReplies(ctx, c)) {
      const common = { armedAt: reply.at, party: 'DB' as const, siteCode: ctx.deliveringBranch };
      if (DELIVER_INSTRUCTIONS.has(reply.instruction)) {
        desired.push({
          ...common,
          id: deadlineIdFor(c.id, 'D6', idToken(reply.eventId)),
          rule: 'D6',
          dueAt: plusMinutes(reply.at, ctx.policy.durations.d6),
          detail: { reply: reply.eventId, instruction: reply.instruction },
        });
      } else if (reply.instruction === 'RETURN') {
        const { dueAt, basis } = d7DueAt(ctx, c, reply);
        desired.push({
          ...common,
          id: deadlineIdFor(c.id, 'D7', idToken(reply.eventId)),
          rule: 'D7',
          dueAt,
          detail: { reply: reply.eventId, instruction: reply.instruction, basis },
        });
      }
    }
    return desired;
  },

  /** D6: a SIGNED after the reply; D7: a RETURN_DISPATCHED after the reply. */
  meeting(ctx: EngineContext, _c: ProblemCase, deadline: Deadline): Meeting | null {
    const wanted = deadline.rule === 'D6' ? 'SIGNED' : 'RETURN_DISPATCHED';
    const scan = firstScanFrom(ctx.facts.scans, deadline.armedAt, (s) => s.type === wanted);
    return scan ? { at: scan.at, eventId: scan.id, evidence: { scan: scan.id, scanType: scan.type } } : null;
  },

  supersededAt(ctx: EngineContext, c: ProblemCase, deadline: Deadline): string | null {
    const own = deadline.detail?.reply;
    const later = validReplies(ctx, c).find((reply) => reply.at > deadline.armedAt && reply.eventId !== own);
    return later?.at ?? null;
  },

  judge(_ctx: EngineContext, c: ProblemCase, deadline: Deadline): MissJudgement {
    return {
      rule: deadline.rule,
      party: 'DB',
      siteCode: deadline.siteCode,
      exempt: c.flags.favourableToDb,
      evidence: { reply: deadline.detail?.reply ?? null, basis: deadline.detail?.basis ?? null },
    };
  },
};
