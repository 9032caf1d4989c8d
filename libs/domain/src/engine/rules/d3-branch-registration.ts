/**
 * D3 (rules.md §3): the delivering branch registers DAMAGED, CONTAMINATED, OUT_OF_AREA or NO_SERVICE_POINT, and
 * the branch an item was missent to (RB) registers the MISSENT, within 2 h (policy `durations.d3`) of the
 * item's *theoretical* arrival there (latest HUB_DEPARTURE towards it + route transit); missed → that branch.
 * A MISSENT detected by a BRANCH_ARRIVAL arms D3 for the RB as if it had to register it.
 */
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { branchClockStart } from '../facts.js';
import { caseData } from '../model.js';
import { plusMinutes } from '../time.js';
import type { Deadline, Party, ProblemCase } from '../types.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

export const D3_DB_REASONS: ReadonlySet<string> = new Set(['DAMAGED', 'CONTAMINATED', 'OUT_OF_AREA', 'NO_SERVICE_POINT']);

export const d3BranchRegistration: DeadlineRule = {
  family: 'D3',
  rules: ['D3'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    const data = caseData(c);
    const db = ctx.deliveringBranch;
    const triggers = new Map<string, { party: Party; at: string }>();
    const note = (branch: string, party: Party, at: string) => {
      const known = triggers.get(branch);
      if (!known || at < known.at) triggers.set(branch, { party, at });
    };
    for (const registration of data.registrations) {
      if (registration.siteType !== 'BRANCH') continue;
      if (registration.site === db && D3_DB_REASONS.has(registration.reasonCode)) {
        note(registration.site, 'DB', registration.at);
      } else if (registration.site !== db && registration.reasonCode === 'MISSENT') {
        note(registration.site, 'RB', registration.at);
      }
    }
    for (const detection of data.detections) {
      if (detection.how === 'BRANCH_ARRIVAL') note(detection.site, 'RB', detection.at);
    }
    const desired: DesiredDeadline[] = [];
    for (const [branch, trigger] of triggers) {
      const clock = branchClockStart(ctx.facts.scans, branch, ctx.policy, trigger.at);
      if (!clock) continue;
      const { start, basis, departure } = clock;
      desired.push({
        id: deadlineIdFor(c.id, 'D3', branch),
        rule: 'D3',
        dueAt: plusMinutes(start, ctx.policy.durations.d3),
        armedAt: start,
        party: trigger.party,
        siteCode: branch,
        // arrivalBasis ACTUAL lets a reviewer see that no route entry or departure scan was available.
        detail: { arrivalBasis: basis, departureFrom: departure?.site ?? null, departureAt: departure?.at ?? null },
      });
    }
    return desired;
  },

  meeting(_ctx: EngineContext, c: ProblemCase, deadline: Deadline): Meeting | null {
    const registration = caseData(c)
      .registrations.filter((r) => r.siteType === 'BRANCH' && r.site === deadline.siteCode && r.proofComplete)
      .sort((a, b) => (a.notifiedAt < b.notifiedAt ? -1 : 1))[0];
    return registration
      ? { at: registration.notifiedAt, eventId: registration.eventId, evidence: { registration: registration.eventId } }
      : null;
  },

  judge(_ctx: EngineContext, _c: ProblemCase, deadline: Deadline): MissJudgement {
    return {
      rule: 'D3',
      party: deadline.party,
      siteCode: deadline.siteCode,
      exempt: false,
      evidence: { arrivalBasis: deadline.detail?.arrivalBasis ?? null },
    };
  },
};
