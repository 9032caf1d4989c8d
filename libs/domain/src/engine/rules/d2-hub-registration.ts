/**
 * D2 (rules.md §3): a hub registers DAMAGED, CONTAMINATED, MISSENT or NO_SERVICE_POINT by the first 10:00 local
 * (policy `d2CutoffTime`) strictly after its HUB_ARRIVAL of the waybill; missed → the hub is liable.
 * A MISSENT detected by a HUB_ARRIVAL outside `hubRoutes` arms D2 for that hub as if it had to register it.
 */
import { d2Cutoff } from '../../time/index.js';
import { deadlineIdFor } from '../case-identity.js';
import type { EngineContext } from '../context.js';
import { hubClockStart } from '../facts.js';
import { caseData } from '../model.js';
import { iso } from '../time.js';
import type { Deadline, ProblemCase } from '../types.js';
import type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';

export const D2_REASONS: ReadonlySet<string> = new Set(['DAMAGED', 'CONTAMINATED', 'MISSENT', 'NO_SERVICE_POINT']);

export const d2HubRegistration: DeadlineRule = {
  family: 'D2',
  rules: ['D2'],

  desired(ctx: EngineContext, c: ProblemCase): DesiredDeadline[] {
    const data = caseData(c);
    const triggers = new Map<string, string>(); // hub → earliest trigger time
    const note = (hub: string, at: string) => {
      const known = triggers.get(hub);
      if (!known || at < known) triggers.set(hub, at);
    };
    for (const registration of data.registrations) {
      if (registration.siteType === 'HUB' && D2_REASONS.has(registration.reasonCode)) note(registration.site, registration.at);
    }
    for (const detection of data.detections) {
      if (detection.how === 'HUB_ARRIVAL') note(detection.site, detection.at);
    }
    const desired: DesiredDeadline[] = [];
    for (const [hub, trigger] of triggers) {
      // Decision: no HUB_ARRIVAL scan at that hub (yet) → nothing to time the registration against.
      const start = hubClockStart(ctx.facts.scans, hub, trigger);
      if (!start) continue;
      desired.push({
        id: deadlineIdFor(c.id, 'D2', hub),
        rule: 'D2',
        dueAt: iso(d2Cutoff(start, ctx.policy.d2CutoffTime, ctx.zone)),
        armedAt: start,
        party: 'HUB',
        siteCode: hub,
        detail: { cutoff: ctx.policy.d2CutoffTime },
      });
    }
    return desired;
  },

  /** The hub's own registration on this case. */
  meeting(_ctx: EngineContext, c: ProblemCase, deadline: Deadline): Meeting | null {
    const registration = caseData(c)
      .registrations.filter((r) => r.siteType === 'HUB' && r.site === deadline.siteCode && r.proofComplete)
      .sort((a, b) => (a.notifiedAt < b.notifiedAt ? -1 : 1))[0];
    return registration
      ? { at: registration.notifiedAt, eventId: registration.eventId, evidence: { registration: registration.eventId } }
      : null;
  },

  judge(_ctx: EngineContext, _c: ProblemCase, deadline: Deadline): MissJudgement {
    return { rule: 'D2', party: 'HUB', siteCode: deadline.siteCode, exempt: false, evidence: { hubArrival: deadline.armedAt } };
  },
};
