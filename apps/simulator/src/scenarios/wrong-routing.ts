import type { Journey } from '../journey.js';
import type { Instruction } from '../wire.js';
import { d2Due, deadline, followInstruction, MINUTE, newAddressFor, within } from './support.js';
import type { Scenario, ScenarioContext } from './types.js';

/**
 * WRONG_ROUTING (rules.md §2.1, D2, D3): missent items found by scans (wrong branch arrival, departure toward
 * the wrong branch, arrival at a hub off the route), holds and long dwell, and every registered reason.
 */

const CLASS = 'WRONG_ROUTING';

/** Back from the receiving branch through the shared home hub to the delivering branch; returns the arrival. */
function transshipFrom(ctx: ScenarioContext, journey: Journey, receivingBranch: string, readyAt: number): number {
  const branch = ctx.network.branch(receivingBranch);
  const departure = ctx.clock.nextSlotAfter(readyAt, branch.departures);
  const hubArrival = journey.hubArrival(branch.homeHub, journey.later(departure, branch.minutesToHub, branch.minutesToHub + 15));
  return journey.toBranch(journey.destination, journey.hubLeg(branch.homeHub, hubArrival, journey.destination));
}

/** The last hub sends the item toward a sibling of the delivering branch: MISSENT by HUB_DEPARTURE, D3 at the RB. */
function missentByDeparture(rbRegistersLate: boolean): Scenario {
  return {
    id: `wrong-routing/missent-departure-${rbRegistersLate ? 'rb-late' : 'rb-on-time'}`,
    weight: 2,
    run(ctx) {
      const journey = ctx.newJourney();
      const receiving = journey.rng.pick(ctx.network.siblingsOf(journey.destination)).code;
      const last = journey.travelToLastHub();
      const departedAt = journey.hubLeg(last.hub, last.arrivedAt, receiving);
      const arrivedAt = journey.toBranch(receiving, departedAt);
      const theoretical = journey.theoreticalArrival(receiving, arrivedAt);
      const dueAt = theoretical.at + ctx.policy.durations.d3 * MINUTE;
      const registeredAt = rbRegistersLate ? journey.later(Math.max(dueAt, arrivedAt), 30, 300) : within(journey, arrivedAt, dueAt, 5, 80);
      journey.register(
        registeredAt,
        receiving,
        'MISSENT',
        { description: `错发件：面单派件网点为${journey.destination}，误到本网点`, notifyBranch: journey.origin },
        rbRegistersLate ? undefined : { rule: 'D3', dueAt },
      );
      journey.deliver(transshipFrom(ctx, journey, receiving, registeredAt));
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: 'MISSENT',
        detection: 'SCAN',
        detectedAt: departedAt,
        detectedBy: `HUB_DEPARTURE toward ${receiving} (delivering branch ${journey.destination})`,
        expected: [deadline('D3', 'RB', receiving, dueAt, registeredAt, `clock from the ${theoretical.basis.toLowerCase()} arrival`)],
        flags: { arrivalBasis: theoretical.basis },
        expectedOutcome: 'TRANSSHIPPED',
      });
    },
  };
}

/** Departed toward the DB, unloaded at a sibling: MISSENT by BRANCH_ARRIVAL; the RB never registers (D3 missed, ACTUAL basis). */
const missentByBranchArrival: Scenario = {
  id: 'wrong-routing/missent-branch-arrival-unregistered',
  weight: 2,
  run(ctx) {
    const journey = ctx.newJourney();
    const receiving = journey.rng.pick(ctx.network.siblingsOf(journey.destination)).code;
    const last = journey.travelToLastHub();
    const arrivedAt = journey.toBranch(receiving, journey.hubLeg(last.hub, last.arrivedAt, journey.destination));
    const theoretical = journey.theoreticalArrival(receiving, arrivedAt);
    const dueAt = theoretical.at + ctx.policy.durations.d3 * MINUTE;
    const backAtDb = transshipFrom(ctx, journey, receiving, journey.later(arrivedAt, 60, 240));
    journey.deliver(backAtDb);
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'MISSENT',
      detection: 'SCAN',
      detectedAt: arrivedAt,
      detectedBy: `BRANCH_ARRIVAL at ${receiving} (delivering branch ${journey.destination})`,
      expected: [deadline('D3', 'RB', receiving, dueAt, null, 'no departure toward the RB: the clock starts at the actual arrival')],
      flags: { arrivalBasis: theoretical.basis },
      expectedOutcome: 'TRANSSHIPPED',
    });
  },
};

/**
 * The origin hub sends the item on a line-haul to a hub that is not on the way to the DB: MISSENT by
 * HUB_ARRIVAL, D2 at that hub (registered before or after the 10:00 cutoff).
 */
function missentWrongHub(registersLate: boolean): Scenario {
  return {
    id: `wrong-routing/missent-wrong-hub-${registersLate ? 'after-cutoff' : 'before-cutoff'}`,
    weight: 2,
    run(ctx) {
      const offRouteFrom = (originHub: string, branchCode: string) => {
        const allowed = new Set(ctx.network.hubRoutesFor(branchCode));
        return ctx.network.hub(originHub).lineHauls.filter((hub) => !allowed.has(hub));
      };
      const journey = ctx.newJourney({
        destinationFilter: (branch, origin) => offRouteFrom(origin.homeHub, branch.code).length > 0,
      });
      const originHub = ctx.network.branch(journey.origin).homeHub;
      const wrongHub = journey.rng.pick(offRouteFrom(originHub, journey.destination));
      const deliveringHub = ctx.network.branch(journey.destination).homeHub;
      const firstArrival = journey.leaveOrigin();
      const wrongArrival = journey.lineHaul(originHub, wrongHub, journey.hubLeg(originHub, firstArrival, wrongHub));
      const dueAt = d2Due(ctx, wrongArrival);
      const registeredAt = registersLate ? journey.later(dueAt, 20, 240) : within(journey, wrongArrival, dueAt, 5, 90);
      const correction = ctx.network.hub(wrongHub).lineHauls.includes(deliveringHub) ? deliveringHub : 'H01';
      // The hub sends the item on once it has registered it. (Sent on at once, a late-registered item could reach
      // the delivering branch before the 10:00 cutoff: the case then closes first and D2 is cancelled, not missed.)
      const leftAt = journey.hubLeg(wrongHub, Math.max(wrongArrival, registeredAt), correction);
      journey.register(
        registeredAt,
        wrongHub,
        'MISSENT',
        { description: `错发至${wrongHub}，应经${deliveringHub}派送`, notifyBranch: journey.origin },
        registersLate ? undefined : { rule: 'D2', dueAt },
      );
      let t = journey.lineHaul(wrongHub, correction, leftAt);
      if (correction !== deliveringHub) {
        t = journey.lineHaul(correction, deliveringHub, journey.hubLeg(correction, t, deliveringHub));
      }
      const arrivedAt = journey.toBranch(journey.destination, journey.hubLeg(deliveringHub, t, journey.destination));
      journey.deliver(arrivedAt);
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: 'MISSENT',
        detection: 'SCAN',
        detectedAt: wrongArrival,
        detectedBy: `HUB_ARRIVAL at ${wrongHub}, not in hubRoutes of ${journey.destination}`,
        expected: [deadline('D2', 'HUB', wrongHub, dueAt, registeredAt)],
        expectedOutcome: 'TRANSSHIPPED',
      });
    },
  };
}

/** A HOLD scan at a hub on the way; released hours later. */
const holdAtHub: Scenario = {
  id: 'wrong-routing/hold-scan',
  weight: 2,
  run(ctx) {
    const journey = ctx.newJourney();
    let heldAt = 0;
    let heldHub = '';
    const withReason = journey.rng.chance(0.6);
    const arrivedAt = journey.runToDestination((hub, arrivedAtHub, next, index) => {
      if (index !== 0) return undefined;
      heldHub = hub;
      heldAt = journey.hold(hub, journey.later(arrivedAtHub, 20, 120), withReason ? 'HELD_AT_HUB' : undefined);
      return journey.hubLeg(hub, arrivedAtHub, next, journey.rng.int(4 * 60, 10 * 60));
    });
    journey.deliver(arrivedAt);
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'HELD_AT_HUB',
      detection: 'SCAN',
      detectedAt: heldAt,
      detectedBy: `HOLD at ${heldHub}${withReason ? ' (reasonCode HELD_AT_HUB)' : ' (no reasonCode)'}`,
      expectedOutcome: 'TRANSSHIPPED',
    });
  },
};

/** No onward movement for longer than the dwell limit: HELD_AT_HUB opened by the timer at arrival + limit. */
const longDwell: Scenario = {
  id: 'wrong-routing/long-dwell',
  weight: 2,
  run(ctx) {
    const journey = ctx.newJourney();
    let dwellFrom = 0;
    let dwellHub = '';
    const arrivedAt = journey.runToDestination((hub, arrivedAtHub, next, index) => {
      if (index !== 0) return undefined;
      dwellHub = hub;
      dwellFrom = arrivedAtHub;
      return journey.hubLeg(hub, arrivedAtHub, next, ctx.policy.hubDwellLimitMinutes + journey.rng.int(60, 10 * 60));
    });
    journey.deliver(arrivedAt);
    const opensAt = dwellFrom + ctx.policy.hubDwellLimitMinutes * MINUTE;
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'HELD_AT_HUB',
      detection: 'DWELL_TIMER',
      detectedAt: opensAt,
      detectedBy: `no onward movement from ${dwellHub} within ${ctx.policy.hubDwellLimitMinutes} min of its HUB_ARRIVAL`,
      expectedOutcome: 'TRANSSHIPPED',
    });
  },
};

/** A hub registers a routing fault it corrects itself (MISSORTED, WRONG_HEADER); closed by the DB's arrival. */
function hubCorrected(reason: 'MISSORTED' | 'WRONG_HEADER'): Scenario {
  const description = reason === 'MISSORTED' ? '分拣错误，已改分至正确线路' : '面单抬头错误，已更正抬头';
  return {
    id: `wrong-routing/${reason.toLowerCase().replace('_', '-')}-at-hub`,
    weight: 1,
    run(ctx) {
      const journey = ctx.newJourney();
      let registeredAt = 0;
      let site = '';
      const arrivedAt = journey.runToDestination((hub, arrivedAtHub, next) => {
        if (next !== journey.destination) return undefined;
        site = hub;
        registeredAt = journey.later(arrivedAtHub, 20, 90);
        journey.register(registeredAt, hub, reason, { description, notifyBranch: journey.origin });
        return journey.hubLeg(hub, registeredAt, next, journey.rng.int(30, 180));
      });
      journey.deliver(arrivedAt);
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by ${site}`,
        expectedOutcome: 'TRANSSHIPPED',
      });
    },
  };
}

/** NO_SERVICE_POINT registered by the DB's home hub (D2), then handled at the DB on the origin's instruction. */
function noServicePointAtHub(late: boolean): Scenario {
  return {
    id: `wrong-routing/no-service-point-hub-${late ? 'after-cutoff' : 'before-cutoff'}`,
    weight: 1,
    run(ctx) {
      const journey = ctx.newJourney();
      let registeredAt = 0;
      let dueAt = 0;
      let site = '';
      const arrivedAt = journey.runToDestination((hub, arrivedAtHub, next) => {
        if (next !== journey.destination) return undefined;
        site = hub;
        dueAt = d2Due(ctx, arrivedAtHub);
        registeredAt = late ? journey.later(dueAt, 15, 180) : within(journey, arrivedAtHub, dueAt, 5, 90);
        journey.register(
          registeredAt,
          hub,
          'NO_SERVICE_POINT',
          { description: '收件地址无服务网点覆盖', notifyBranch: journey.origin },
        );
        return journey.hubLeg(hub, late ? arrivedAtHub : registeredAt, next);
      });
      const repliedAt = journey.later(Math.max(registeredAt, arrivedAt), 60, 8 * 60);
      const instruction = ctx.rotate('wrong-routing/no-service-point-instruction', ['SELF_PICKUP', 'TRANSFER_OTHER_CARRIER'] as const);
      journey.reply(repliedAt, CLASS, instruction);
      const follow = followInstruction(ctx, journey, instruction, registeredAt, repliedAt);
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: 'NO_SERVICE_POINT',
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by hub ${site}`,
        expected: [deadline('D2', 'HUB', site, dueAt, registeredAt), ...follow.expected],
        expectedOutcome: follow.outcome,
      });
    },
  };
}

/** The DB registers OUT_OF_AREA or NO_SERVICE_POINT (D3 from the theoretical arrival); the origin decides. */
function registeredByDb(reason: 'OUT_OF_AREA' | 'NO_SERVICE_POINT', late: boolean): Scenario {
  const instructions: readonly Instruction[] =
    reason === 'OUT_OF_AREA' ? ['SELF_PICKUP', 'TRANSFER_OTHER_CARRIER', 'REDELIVER_NEW_ADDRESS', 'RETURN'] : ['SELF_PICKUP', 'RETURN'];
  return {
    id: `wrong-routing/${reason.toLowerCase().replaceAll('_', '-')}-db-${late ? 'late' : 'on-time'}`,
    weight: reason === 'OUT_OF_AREA' && !late ? 3 : 1,
    run(ctx) {
      const journey = ctx.newJourney();
      const arrivedAt = journey.runToDestination();
      const theoretical = journey.theoreticalArrival(journey.destination, arrivedAt);
      const dueAt = theoretical.at + ctx.policy.durations.d3 * MINUTE;
      const registeredAt = late ? journey.later(Math.max(dueAt, arrivedAt), 30, 360) : within(journey, arrivedAt, dueAt, 5, 80);
      journey.register(
        registeredAt,
        journey.destination,
        reason,
        {
          description: reason === 'OUT_OF_AREA' ? '超区件，收件地址不在派送范围' : '收件地址所在区域无服务网点',
          notifyBranch: journey.origin,
        },
      );
      const instruction = ctx.rotate(`wrong-routing/${reason}-instruction`, instructions);
      const repliedAt = journey.later(registeredAt, 30, 18 * 60);
      journey.reply(repliedAt, CLASS, instruction, instruction === 'REDELIVER_NEW_ADDRESS' ? { newAddress: newAddressFor(ctx, journey) } : {});
      const follow = followInstruction(ctx, journey, instruction, registeredAt, repliedAt);
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by the delivering branch ${journey.destination}`,
        expected: [
          deadline('D3', 'DB', journey.destination, dueAt, registeredAt, `clock from the ${theoretical.basis.toLowerCase()} arrival`),
          deadline('D5', 'OB', journey.origin, registeredAt + ctx.policy.durations.d5 * MINUTE, repliedAt),
          ...follow.expected,
        ],
        flags: { arrivalBasis: theoretical.basis },
        expectedOutcome: follow.outcome,
        notes: [`instruction ${instruction}`],
      });
    },
  };
}

/** Contents swapped (掉包): registered by the DB, settled by HQ with a RESOLVE action. */
const swapped: Scenario = {
  id: 'wrong-routing/swapped-resolved-by-hq',
  weight: 1,
  run(ctx) {
    const journey = ctx.newJourney();
    const arrivedAt = journey.runToDestination();
    const registeredAt = journey.later(arrivedAt, 20, 100);
    journey.register(registeredAt, journey.destination, 'SWAPPED', {
      description: '开箱发现内件被调包，与寄件人描述不符',
      notifyBranch: journey.origin,
      evidence: [journey.evidence('PHOTO')],
    });
    const resolvedAt = journey.later(registeredAt, 4 * 60, 20 * 60);
    journey.action(resolvedAt, CLASS, 'RESOLVE', { note: '总部复核：调包责任在中转环节，已安排赔付并召回原件' });
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'SWAPPED',
      detection: 'REGISTRATION',
      detectedAt: registeredAt,
      detectedBy: `registration by the delivering branch ${journey.destination}`,
      expected: [],
      expectedOutcome: 'RESOLVED',
      notes: ['resolved by HQ before the D5 deadline: D5 is cancelled'],
    });
  },
};

/** The label came off at a hub: registered there, relabelled, delivered. */
const labelDetached: Scenario = {
  id: 'wrong-routing/label-detached',
  weight: 1,
  run(ctx) {
    const journey = ctx.newJourney();
    let registeredAt = 0;
    let site = '';
    const arrivedAt = journey.runToDestination((hub, arrivedAtHub, next, index) => {
      if (index !== 0) return undefined;
      site = hub;
      registeredAt = journey.later(arrivedAtHub, 15, 120);
      journey.register(registeredAt, hub, 'LABEL_DETACHED', {
        description: '面单脱落，已按内单信息补打面单',
        notifyBranch: journey.origin,
        evidence: [journey.evidence('PHOTO')],
      });
      return journey.hubLeg(hub, registeredAt, next, journey.rng.int(30, 150));
    });
    journey.deliver(arrivedAt);
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'LABEL_DETACHED',
      detection: 'REGISTRATION',
      detectedAt: registeredAt,
      detectedBy: `registration by hub ${site}`,
      expectedOutcome: 'DELIVERED',
    });
  },
};

export const wrongRoutingScenarios: readonly Scenario[] = [
  missentByDeparture(false),
  missentByDeparture(true),
  missentByBranchArrival,
  missentWrongHub(false),
  missentWrongHub(true),
  holdAtHub,
  longDwell,
  hubCorrected('MISSORTED'),
  hubCorrected('WRONG_HEADER'),
  noServicePointAtHub(false),
  noServicePointAtHub(true),
  registeredByDb('OUT_OF_AREA', false),
  registeredByDb('OUT_OF_AREA', true),
  registeredByDb('NO_SERVICE_POINT', false),
  swapped,
  labelDetached,
];
