import type { EngineContext } from '../context.js';
import { caseData, type ReplyFact } from '../model.js';
import type { ProblemCase } from '../types.js';

/** Replies that count (rules.md D5): from the case's origin branch, or from HQ acting for it; in event-time order. */
export function validReplies(ctx: EngineContext, c: ProblemCase): ReplyFact[] {
  const ob = ctx.originBranch;
  return caseData(c)
    .replies.filter((reply) => reply.siteType === 'HQ' || reply.site === ob)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.eventId < b.eventId ? -1 : 1));
}
