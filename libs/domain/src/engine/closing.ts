/**
 * rules.md §2.2: a case closes on
 *  - a BRANCH_ARRIVAL at the delivering branch, for a MISSENT / MISSORTED / WRONG_HEADER / HELD_AT_HUB case
 *    (outcome TRANSSHIPPED);
 *  - a SIGNED scan (DELIVERED), or one reported by another carrier after a TRANSFERRED (TRANSFERRED);
 *  - a RETURN_SIGNED scan (RETURNED);
 *  - an explicit RESOLVE action with a reason (RESOLVED); Decision: a COMPLAINT also closes on its final answer
 *    (COMPLAINT_ANSWERED, outcome ANSWERED), and deliveries do not close complaints.
 * Only closers at or after the case's opening (event time) count, so a problem reported after delivery (e.g.
 * SIGNED_NOT_RECEIVED) is not closed by that delivery. The earliest closer known wins; closing cancels the
 * case's deadlines that were not yet due (../deadlines.ts).
 *
 * A registration stamped after the closing belongs to a new problem — unless it reports, from the same site, a
 * problem the case already had on record (a late report). A new problem that had joined this case before the
 * closing scan arrived is moved to the next case of the class (returned to `decide`, which re-attaches it).
 */
import type { EngineContext, Source } from './context.js';
import { targetBranchAt } from './facts.js';
import { caseData, type RegistrationFact } from './model.js';
import { reportsSameProblem, transition } from './state-machine.js';
import type { ProblemCase } from './types.js';

export const TRANSSHIP_CLOSES: ReadonlySet<string> = new Set(['MISSENT', 'MISSORTED', 'WRONG_HEADER', 'HELD_AT_HUB']);

export interface Closer {
  at: string;
  outcome: 'TRANSSHIPPED' | 'DELIVERED' | 'TRANSFERRED' | 'RETURNED' | 'RESOLVED' | 'ANSWERED';
  eventId: string;
  actor: string;
  note?: string;
}

export function findCloser(ctx: EngineContext, c: ProblemCase): Closer | null {
  let best: Closer | null = null;
  if (c.caseClass !== 'COMPLAINT') {
    const scans = ctx.facts.scans;
    for (const scan of scans) {
      if (scan.at < c.openedAt) continue;
      let outcome: Closer['outcome'] | null = null;
      if (scan.type === 'SIGNED') outcome = scan.carrier ? 'TRANSFERRED' : 'DELIVERED';
      else if (scan.type === 'RETURN_SIGNED') outcome = 'RETURNED';
      else if (
        scan.type === 'BRANCH_ARRIVAL' &&
        c.caseClass === 'WRONG_ROUTING' &&
        TRANSSHIP_CLOSES.has(c.reasonCode) &&
        scan.site === targetBranchAt(ctx.state, scans, scan.at)
      ) {
        outcome = 'TRANSSHIPPED';
      }
      if (outcome) {
        best = { at: scan.at, outcome, eventId: scan.id, actor: scan.operatorId ?? scan.site };
        break; // scans are in event-time order: the first closer is the earliest
      }
    }
  }
  for (const action of caseData(c).actions) {
    const outcome = action.action === 'RESOLVE' ? 'RESOLVED' : action.action === 'COMPLAINT_ANSWERED' && c.caseClass === 'COMPLAINT' ? 'ANSWERED' : null;
    if (outcome && (!best || action.at < best.at)) {
      best = { at: action.at, outcome, eventId: action.eventId, actor: action.actor, ...(action.note ? { note: action.note } : {}) };
    }
  }
  return best;
}

/** Closes the case (RESOLVED, then CLOSED, in the timeline) and hands back registrations stamped after it. */
export function closeCase(ctx: EngineContext, c: ProblemCase, closer: Closer): RegistrationFact[] {
  const source: Source = { at: closer.at, eventId: closer.eventId, actor: closer.actor };
  c.closedAt = closer.at;
  c.outcome = closer.outcome;
  transition(ctx, c, 'RESOLVED', source, closer.note ?? `outcome ${closer.outcome}`);
  transition(ctx, c, 'CLOSED', source);
  ctx.emit({ type: 'CaseClosed', caseId: c.id, outcome: closer.outcome });

  const data = caseData(c);
  const later = data.registrations.filter(
    (r) => r.at > closer.at && !reportsSameProblem(c, { eventId: r.eventId, source: 'REGISTRATION', site: r.site, reasonCode: r.reasonCode }),
  );
  if (later.length > 0) {
    const moved = new Set(later.map((r) => r.eventId));
    data.registrations = data.registrations.filter((r) => !moved.has(r.eventId));
    data.detections = data.detections.filter((d) => !moved.has(d.eventId));
  }
  return later;
}
