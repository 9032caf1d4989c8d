import type { Journey } from '../journey.js';
import { BRANCH_WITHOUT_SUPERVISOR } from '../network.js';
import { d2Due, deadline, followInstruction, MINUTE, within } from './support.js';
import type { DeadlineDraft, Scenario, ScenarioContext } from './types.js';

/** DAMAGE (D2 at hubs, D3 at the delivering branch, S1 supervisor notification), with and without photos. */

const CLASS = 'DAMAGE';
const REASONS = ['DAMAGED', 'CONTAMINATED'] as const;
const DESCRIPTIONS: Record<(typeof REASONS)[number], string> = {
  DAMAGED: '外包装破损，内件疑似受损，已加固包装',
  CONTAMINATED: '快件被其他货物油污污染，已拍照留存',
};

function evidenceFor(journey: Journey, withPhoto: boolean) {
  return withPhoto ? { evidence: [journey.evidence('PHOTO'), ...(journey.rng.chance(0.3) ? [journey.evidence('PHOTO')] : [])] } : {};
}

/** S1: the supervisor notification is stamped with the registration's time; missed only when the site has no supervisor. */
function s1(ctx: ScenarioContext, site: string, registeredAt: number): DeadlineDraft {
  const hasSupervisor = Boolean(ctx.policy.sites[site]?.staff?.supervisor);
  return deadline(
    'S1',
    null,
    site,
    registeredAt + ctx.policy.durations.s1 * MINUTE,
    hasSupervisor ? registeredAt : null,
    hasSupervisor ? undefined : `${site} has no supervisor configured`,
  );
}

/** A hub finds the damage on arrival and registers it before or after the 10:00 cutoff (D2). */
function atHub(late: boolean): Scenario {
  return {
    id: `damage/hub-registration-${late ? 'after-cutoff' : 'before-cutoff'}`,
    weight: 2,
    run(ctx) {
      const reason = ctx.rotate('damage/hub-reason', REASONS);
      const withPhoto = ctx.rotate(`damage/hub-photo-${late}`, [true, false]);
      const journey = ctx.newJourney();
      let registeredAt = 0;
      let dueAt = 0;
      let site = '';
      const arrivedAt = journey.runToDestination((hub, arrivedAtHub, next, index) => {
        if (index !== 0) return undefined;
        site = hub;
        dueAt = d2Due(ctx, arrivedAtHub);
        registeredAt = late ? journey.later(dueAt, 15, 180) : within(journey, arrivedAtHub, dueAt, 10, 120);
        journey.register(
          registeredAt,
          hub,
          reason,
          { description: DESCRIPTIONS[reason], notifyBranch: journey.origin, ...evidenceFor(journey, withPhoto) },
        );
        // A late registration is entered after the item already moved on.
        return late ? undefined : journey.hubLeg(hub, registeredAt, next, journey.rng.int(20, 120));
      });
      const repliedAt = journey.later(Math.max(registeredAt, arrivedAt), 30, 5 * 60);
      journey.reply(repliedAt, CLASS, 'DELIVER');
      const follow = followInstruction(ctx, journey, 'DELIVER', registeredAt, repliedAt);
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by hub ${site}`,
        expected: [deadline('D2', 'HUB', site, dueAt, registeredAt), s1(ctx, site, registeredAt), ...follow.expected],
        expectedOutcome: follow.outcome,
        notes: [withPhoto ? 'photo evidence attached' : 'no photo evidence'],
      });
    },
  };
}

/** The delivering branch finds the damage on arrival (D3 from the theoretical arrival). */
function atDeliveringBranch(late: boolean, destination?: string): Scenario {
  return {
    id: destination ? 'damage/db-registration-no-supervisor' : `damage/db-registration-${late ? 'late-no-reply' : 'on-time'}`,
    weight: destination ? 1 : 2,
    run(ctx) {
      const reason = ctx.rotate('damage/db-reason', REASONS);
      const withPhoto = !late && ctx.rotate('damage/db-photo', [true, true, false]);
      const journey = ctx.newJourney(destination ? { destinationFilter: (branch) => branch.code === destination } : {});
      const arrivedAt = journey.runToDestination();
      const theoretical = journey.theoreticalArrival(journey.destination, arrivedAt);
      const dueAt = theoretical.at + ctx.policy.durations.d3 * MINUTE;
      const registeredAt = late ? journey.later(Math.max(dueAt, arrivedAt), 30, 300) : within(journey, arrivedAt, dueAt, 5, 80);
      journey.register(
        registeredAt,
        journey.destination,
        reason,
        { description: DESCRIPTIONS[reason], notifyBranch: journey.origin, ...evidenceFor(journey, withPhoto) },
      );
      const d5DueAt = registeredAt + ctx.policy.durations.d5 * MINUTE;
      const expected = [
        deadline('D3', 'DB', journey.destination, dueAt, registeredAt, `clock from the ${theoretical.basis.toLowerCase()} arrival`),
        s1(ctx, journey.destination, registeredAt),
      ];
      let outcome;
      if (late) {
        // No reply: the default procedure delivers it re-wrapped.
        expected.push(deadline('D5', 'OB', journey.origin, d5DueAt, null));
        journey.deliver(d5DueAt, 10);
        outcome = 'DELIVERED' as const;
      } else {
        const repliedAt = journey.later(registeredAt, 30, 12 * 60);
        const instruction = ctx.rotate('damage/db-instruction', ['DELIVER', 'RETURN'] as const);
        journey.reply(repliedAt, CLASS, instruction);
        const follow = followInstruction(ctx, journey, instruction, registeredAt, repliedAt);
        expected.push(deadline('D5', 'OB', journey.origin, d5DueAt, repliedAt), ...follow.expected);
        outcome = follow.outcome;
      }
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by the delivering branch ${journey.destination}`,
        expected,
        flags: { arrivalBasis: theoretical.basis, ...(late ? { noReply: true } : {}) },
        expectedOutcome: outcome,
        notes: [withPhoto ? 'photo evidence attached' : 'no photo evidence'],
      });
    },
  };
}

export const damageScenarios: readonly Scenario[] = [
  atHub(false),
  atHub(true),
  atDeliveringBranch(false),
  atDeliveringBranch(true),
  atDeliveringBranch(false, BRANCH_WITHOUT_SUPERVISOR),
];
