import { REASON_CODES_BY_CLASS } from '#contracts';
import { quietHoursRelease } from '#domain';
import type { Journey } from '../journey.js';
import { staffName } from '../people.js';
import type { Instruction } from '../wire.js';
import { d4Due, deadline, followInstruction, MINUTE, newAddressFor, within } from './support.js';
import type { DeadlineDraft, ProblemDraft, Scenario, ScenarioContext } from './types.js';

/** FAILED_DELIVERY (rules.md §2, D4–D11): every reason, registrations on time, late, misdirected and by phone. */

const CLASS = 'FAILED_DELIVERY';
const REASONS = REASON_CODES_BY_CLASS.FAILED_DELIVERY; // rules.md §2, from the contract
const INSTRUCTIONS: readonly Instruction[] = ['DELIVER', 'REDELIVER_NEW_ADDRESS', 'RETURN', 'SELF_PICKUP', 'TRANSFER_OTHER_CARRIER'];

const DESCRIPTIONS: Record<string, string> = {
  ADDRESS_UNCLEAR: '地址不详，无法找到收件人',
  NOBODY_HOME: '送无人，电话联系不上',
  REFUSED: '收件人拒收，理由：商品与订单不符',
  NO_ANSWER: '多次致电无人接听',
  PHONE_UNREACHABLE: '收件人电话关机/停机',
  WRONG_PHONE: '电话号码错误，非收件人本人',
  RECIPIENT_INFO_MISMATCH: '收件人姓名与地址不符',
  CANNOT_PAY: '代收货款快件，收件人暂无货款',
  CUSTOMER_OFF_DUTY: '单位已下班，无人签收',
  POWER_CUT: '收件地址停电，门禁无法进入',
  INSPECTION_TOO_LONG: '收件人验货时间过长，派件员无法等候',
};

interface Attempt {
  failedAt: number;
  smsSent: boolean;
}

/** Delivery to the branch, then a failed attempt on the next wave. */
function firstAttempt(journey: Journey, reason: string): Attempt {
  const arrivedAt = journey.runToDestination();
  const outAt = journey.outForDelivery(arrivedAt);
  const failedAt = journey.later(outAt, 15, 180);
  const smsSent = journey.rng.chance(0.5);
  journey.failed(failedAt, reason, 1, smsSent);
  return { failedAt, smsSent };
}

/** Another attempt on the next wave after `readyAt`; fails with `reason`. */
function nextAttempt(journey: Journey, readyAt: number, reason: string, attempt: number): Attempt {
  const outAt = journey.outForDelivery(readyAt, 10);
  const failedAt = journey.later(outAt, 15, 150);
  const smsSent = journey.rng.chance(0.5);
  journey.failed(failedAt, reason, attempt, smsSent);
  return { failedAt, smsSent };
}

/** The delivering branch's online registration, naming the branch it notified. */
function registerOnline(
  journey: Journey,
  at: number,
  reason: string,
  attempt: Attempt,
  options: { notifyBranch?: string; dueAt?: number } = {},
): void {
  const evidence = attempt.smsSent && journey.rng.chance(0.6) ? [journey.evidence('SMS_LOG')] : undefined;
  journey.register(
    at,
    journey.destination,
    reason,
    {
      description: DESCRIPTIONS[reason],
      channel: 'ONLINE',
      notifyBranch: options.notifyBranch ?? journey.origin,
      ...(evidence ? { evidence } : {}),
    },
    options.dueAt !== undefined && options.dueAt >= at ? { rule: 'D4', dueAt: options.dueAt } : undefined,
  );
}

function smsFlags(ctx: ScenarioContext, journey: Journey, attempt: Attempt): ProblemDraft['flags'] {
  const held =
    !attempt.smsSent &&
    journey.facts.recipient.mobile !== undefined &&
    quietHoursRelease(new Date(attempt.failedAt), ctx.policy.quietHours, ctx.policy.timeZone) !== null;
  return held ? { smsHeldForQuietHours: true } : {};
}

function d4(ctx: ScenarioContext, journey: Journey, attempt: Attempt, metAt: number | null, note?: string): DeadlineDraft {
  return deadline('D4', 'DB', journey.destination, d4Due(ctx, journey.destination, attempt.failedAt), metAt, note);
}

function d5(ctx: ScenarioContext, journey: Journey, notifiedAt: number, repliedAt: number | null): DeadlineDraft {
  return deadline('D5', 'OB', journey.origin, notifiedAt + ctx.policy.durations.d5 * MINUTE, repliedAt);
}

function report(ctx: ScenarioContext, journey: Journey, reason: string, attempt: Attempt, draft: Partial<ProblemDraft> & Pick<ProblemDraft, 'expectedOutcome'>): void {
  ctx.report(journey, {
    caseClass: CLASS,
    reasonCode: reason,
    detection: 'SCAN',
    detectedAt: attempt.failedAt,
    detectedBy: `DELIVERY_FAILED (attempt 1) at ${journey.destination}`,
    ...draft,
    flags: { ...smsFlags(ctx, journey, attempt), ...draft.flags },
  });
}

/** Registered on time, the origin branch replies, the delivering branch carries the instruction out on time. */
const registeredAndInstructed: Scenario = {
  id: 'failed-delivery/registered-and-instructed',
  weight: 10,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/reason', REASONS);
    const journey = ctx.newJourney({ cod: reason === 'CANNOT_PAY' ? true : undefined });
    const attempt = firstAttempt(journey, reason);
    const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
    const registeredAt = within(journey, attempt.failedAt, dueAt, 10, 90);
    registerOnline(journey, registeredAt, reason, attempt, { dueAt });
    const instruction = ctx.rotate('failed-delivery/instruction', INSTRUCTIONS);
    const fromHq = journey.rng.chance(0.1);
    const repliedAt = journey.later(registeredAt, 30, 20 * 60);
    journey.reply(repliedAt, CLASS, instruction, {
      fromHq,
      ...(instruction === 'REDELIVER_NEW_ADDRESS' ? { newAddress: newAddressFor(ctx, journey) } : {}),
    });
    const follow = followInstruction(ctx, journey, instruction, registeredAt, repliedAt);
    report(ctx, journey, reason, attempt, {
      expected: [d4(ctx, journey, attempt, registeredAt), d5(ctx, journey, registeredAt, repliedAt), ...follow.expected],
      expectedOutcome: follow.outcome,
      notes: [`instruction ${instruction}${fromHq ? ' (HQ acting for the origin branch)' : ''}`],
    });
  },
};

/** Registered the next morning: D4 missed, the delivering branch is liable. */
const registrationLate: Scenario = {
  id: 'failed-delivery/registration-late',
  weight: 4,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/late-reason', REASONS);
    const journey = ctx.newJourney({ cod: reason === 'CANNOT_PAY' ? true : undefined });
    const attempt = firstAttempt(journey, reason);
    const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
    const registeredAt = journey.later(dueAt, 8 * 60, 11 * 60);
    registerOnline(journey, registeredAt, reason, attempt);
    const repliedAt = journey.later(registeredAt, 60, 8 * 60);
    journey.reply(repliedAt, CLASS, 'DELIVER');
    const follow = followInstruction(ctx, journey, 'DELIVER', registeredAt, repliedAt);
    report(ctx, journey, reason, attempt, {
      expected: [d4(ctx, journey, attempt, registeredAt), d5(ctx, journey, registeredAt, repliedAt), ...follow.expected],
      expectedOutcome: follow.outcome,
    });
  },
};

/** Never registered: D4 missed; the branch simply delivers the next day. */
const neverRegistered: Scenario = {
  id: 'failed-delivery/never-registered',
  weight: 3,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/unregistered-reason', ['NOBODY_HOME', 'NO_ANSWER', 'CUSTOMER_OFF_DUTY', 'ADDRESS_UNCLEAR']);
    const journey = ctx.newJourney();
    const attempt = firstAttempt(journey, reason);
    journey.deliver(d4Due(ctx, journey.destination, attempt.failedAt), 30);
    report(ctx, journey, reason, attempt, { expected: [d4(ctx, journey, attempt, null)], expectedOutcome: 'DELIVERED' });
  },
};

/**
 * Registered in time but naming another branch (D9): it neither meets D4 nor starts D5. The correct
 * registration follows the next morning and starts D5.
 */
const wrongNotifyBranch: Scenario = {
  id: 'failed-delivery/wrong-notify-branch',
  weight: 3,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/wrong-target-reason', ['NOBODY_HOME', 'REFUSED', 'ADDRESS_UNCLEAR', 'WRONG_PHONE']);
    const journey = ctx.newJourney();
    const attempt = firstAttempt(journey, reason);
    const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
    const wrongBranch = journey.rng.pick(ctx.network.siblingsOf(journey.origin)).code;
    registerOnline(journey, within(journey, attempt.failedAt, dueAt, 10, 90), reason, attempt, { notifyBranch: wrongBranch });
    const correctedAt = journey.later(dueAt, 8 * 60, 10 * 60);
    registerOnline(journey, correctedAt, reason, attempt);
    const repliedAt = journey.later(correctedAt, 60, 6 * 60);
    journey.reply(repliedAt, CLASS, 'DELIVER');
    const follow = followInstruction(ctx, journey, 'DELIVER', correctedAt, repliedAt);
    report(ctx, journey, reason, attempt, {
      expected: [
        deadline('D9', 'DB', journey.destination, dueAt, null, `D4 missed: the only in-time registration notified ${wrongBranch}, not ${journey.origin}`),
        d5(ctx, journey, correctedAt, repliedAt),
        ...follow.expected,
      ],
      flags: { wrongTarget: true },
      expectedOutcome: follow.outcome,
    });
  },
};

/**
 * Phone fallback (D8): the network was down, the branch phoned the origin branch and entered the record the
 * next morning. The call time meets D4 and starts D5, although the registration arrives after D4 fired.
 */
const phoneFallback: Scenario = {
  id: 'failed-delivery/phone-fallback',
  weight: 3,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/phone-reason', REASONS);
    const journey = ctx.newJourney({ cod: reason === 'CANNOT_PAY' ? true : undefined });
    const attempt = firstAttempt(journey, reason);
    const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
    const calledAt = within(journey, attempt.failedAt, dueAt, 10, 60);
    // Entered when the network is back the next morning, still within a day of the call, so that the origin
    // branch can meet D5 (which runs from the call).
    const enteredAt = Math.min(journey.later(dueAt, 8 * 60, 10 * 60), calledAt + 22 * 60 * MINUTE);
    journey.register(
      enteredAt,
      journey.destination,
      reason,
      {
        description: `${DESCRIPTIONS[reason]}（网络故障，已电话通知发件网点）`,
        channel: 'PHONE_FALLBACK',
        phoneRecord: { contactName: staffName(journey.rng), phone: journey.staffPhone(), calledAt: journey.format(calledAt) },
        notifyBranch: journey.origin,
      },
      { rule: 'D4', dueAt },
    );
    const repliedAt = within(journey, enteredAt, calledAt + ctx.policy.durations.d5 * MINUTE, 10, 90);
    journey.reply(repliedAt, CLASS, 'DELIVER');
    const follow = followInstruction(ctx, journey, 'DELIVER', enteredAt, repliedAt);
    report(ctx, journey, reason, attempt, {
      expected: [
        d4(ctx, journey, attempt, calledAt, 'met by the phone call time (D8); the record is entered after D4 came due, so an overdue record may be raised and must then be retracted'),
        d5(ctx, journey, calledAt, repliedAt),
        ...follow.expected,
      ],
      expectedOutcome: follow.outcome,
    });
  },
};

/** The origin branch never replies: D5 missed (NO_REPLY), default procedure: one more attempt, then return. */
const noReply: Scenario = {
  id: 'failed-delivery/no-reply',
  weight: 3,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/no-reply-reason', ['NOBODY_HOME', 'NO_ANSWER', 'PHONE_UNREACHABLE', 'REFUSED', 'RECIPIENT_INFO_MISMATCH']);
    const journey = ctx.newJourney();
    const first = firstAttempt(journey, reason);
    const firstDue = d4Due(ctx, journey.destination, first.failedAt);
    const registeredAt = within(journey, first.failedAt, firstDue, 10, 90);
    registerOnline(journey, registeredAt, reason, first, { dueAt: firstDue });
    const d5DueAt = registeredAt + ctx.policy.durations.d5 * MINUTE;
    const second = nextAttempt(journey, d5DueAt, reason, 2);
    const secondDue = d4Due(ctx, journey.destination, second.failedAt);
    const secondRegisteredAt = within(journey, second.failedAt, secondDue, 10, 60);
    registerOnline(journey, secondRegisteredAt, reason, second, { dueAt: secondDue });
    const dispatchedAt = journey.returnDispatched(ctx.clock.nextSlotAfter(secondRegisteredAt, ctx.network.branch(journey.destination).departures));
    journey.returnSigned(journey.later(dispatchedAt, 18 * 60, 40 * 60));
    report(ctx, journey, reason, first, {
      expected: [
        d4(ctx, journey, first, registeredAt),
        d5(ctx, journey, registeredAt, null),
        deadline('D4', 'DB', journey.destination, secondDue, secondRegisteredAt, 'attempt 2, after the default procedure'),
      ],
      flags: { noReply: true },
      expectedOutcome: 'RETURNED',
    });
  },
};

/** The origin branch replies after 24 h: D5 missed, then the late instruction is carried out. */
const lateReply: Scenario = {
  id: 'failed-delivery/late-reply',
  weight: 2,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/late-reply-reason', ['NOBODY_HOME', 'ADDRESS_UNCLEAR', 'CUSTOMER_OFF_DUTY']);
    const journey = ctx.newJourney();
    const attempt = firstAttempt(journey, reason);
    const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
    const registeredAt = within(journey, attempt.failedAt, dueAt, 10, 90);
    registerOnline(journey, registeredAt, reason, attempt, { dueAt });
    const repliedAt = journey.later(registeredAt, 25 * 60, 30 * 60);
    journey.reply(repliedAt, CLASS, 'REDELIVER_NEW_ADDRESS', { newAddress: newAddressFor(ctx, journey) });
    const follow = followInstruction(ctx, journey, 'REDELIVER_NEW_ADDRESS', registeredAt, repliedAt);
    report(ctx, journey, reason, attempt, {
      expected: [d4(ctx, journey, attempt, registeredAt), d5(ctx, journey, registeredAt, repliedAt), ...follow.expected],
      flags: { noReply: true },
      expectedOutcome: follow.outcome,
    });
  },
};

/** Two failed attempts, each registered, delivered on the third. */
const repeatedAttempts: Scenario = {
  id: 'failed-delivery/repeated-attempts',
  weight: 3,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/repeat-reason', ['NOBODY_HOME', 'NO_ANSWER', 'PHONE_UNREACHABLE', 'CUSTOMER_OFF_DUTY', 'POWER_CUT']);
    const journey = ctx.newJourney();
    const first = firstAttempt(journey, reason);
    const firstDue = d4Due(ctx, journey.destination, first.failedAt);
    const registeredAt = within(journey, first.failedAt, firstDue, 10, 60);
    registerOnline(journey, registeredAt, reason, first, { dueAt: firstDue });
    const repliedAt = journey.later(registeredAt, 30, 4 * 60);
    journey.reply(repliedAt, CLASS, 'DELIVER');
    const second = nextAttempt(journey, repliedAt, reason, 2);
    const secondDue = d4Due(ctx, journey.destination, second.failedAt);
    const secondRegisteredAt = within(journey, second.failedAt, secondDue, 10, 60);
    registerOnline(journey, secondRegisteredAt, reason, second, { dueAt: secondDue });
    const signedAt = journey.deliver(secondRegisteredAt, 10);
    report(ctx, journey, reason, first, {
      expected: [
        d4(ctx, journey, first, registeredAt),
        d5(ctx, journey, registeredAt, repliedAt),
        deadline('D4', 'DB', journey.destination, secondDue, secondRegisteredAt, 'attempt 2'),
        deadline('D6', 'DB', journey.destination, repliedAt + ctx.policy.durations.d6 * MINUTE, signedAt, 'signed on attempt 3'),
      ],
      expectedOutcome: 'DELIVERED',
    });
  },
};

/** CANNOT_PAY twice (D11): the sender is notified at the second attempt; the sender then has it returned. */
const cannotPayTwice: Scenario = {
  id: 'failed-delivery/cannot-pay-twice',
  weight: 3,
  run(ctx) {
    const journey = ctx.newJourney({ cod: true });
    const first = firstAttempt(journey, 'CANNOT_PAY');
    const firstDue = d4Due(ctx, journey.destination, first.failedAt);
    const registeredAt = within(journey, first.failedAt, firstDue, 10, 60);
    registerOnline(journey, registeredAt, 'CANNOT_PAY', first, { dueAt: firstDue });
    // The branch tries again on its own on the next wave, before any instruction.
    const second = nextAttempt(journey, registeredAt, 'CANNOT_PAY', 2);
    const secondDue = d4Due(ctx, journey.destination, second.failedAt);
    const secondRegisteredAt = within(journey, second.failedAt, secondDue, 10, 60);
    registerOnline(journey, secondRegisteredAt, 'CANNOT_PAY', second, { dueAt: secondDue });
    const repliedAt = within(journey, secondRegisteredAt, registeredAt + ctx.policy.durations.d5 * MINUTE, 20, 180);
    journey.reply(repliedAt, CLASS, 'RETURN');
    const follow = followInstruction(ctx, journey, 'RETURN', registeredAt, repliedAt);
    report(ctx, journey, 'CANNOT_PAY', first, {
      expected: [
        d4(ctx, journey, first, registeredAt),
        deadline('D4', 'DB', journey.destination, secondDue, secondRegisteredAt, 'attempt 2'),
        d5(ctx, journey, registeredAt, repliedAt),
        ...follow.expected,
      ],
      flags: { cannotPayNotifySender: true },
      expectedOutcome: follow.outcome,
      notes: [`D11: the sender is notified at the 2nd CANNOT_PAY attempt (${journey.format(second.failedAt)})`],
    });
  },
};

/** No or an invalid mobile number (D10 favourable to DB): a late registration creates no DB liability. */
function favourableScenario(mobile: 'missing' | 'invalid'): Scenario {
  return {
    id: `failed-delivery/${mobile}-mobile`,
    weight: 2,
    run(ctx) {
      const reason = ctx.rotate(`failed-delivery/${mobile}-reason`, ['PHONE_UNREACHABLE', 'WRONG_PHONE', 'NO_ANSWER', 'ADDRESS_UNCLEAR']);
      const journey = ctx.newJourney({ mobile });
      const attempt = firstAttempt(journey, reason);
      const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
      const registeredAt = journey.later(dueAt, 8 * 60, 12 * 60);
      registerOnline(journey, registeredAt, reason, attempt);
      const repliedAt = journey.later(registeredAt, 60, 8 * 60);
      journey.reply(repliedAt, CLASS, 'RETURN');
      const follow = followInstruction(ctx, journey, 'RETURN', registeredAt, repliedAt, journey.rng.chance(0.5));
      report(ctx, journey, reason, attempt, {
        expected: [
          deadline('D4', 'DB', journey.destination, dueAt, registeredAt, 'missed, but favourable to DB (D10): no DB liability record'),
          d5(ctx, journey, registeredAt, repliedAt),
          ...follow.expected.map((expected) => ({ ...expected, note: 'favourable to DB (D10): no DB liability record when missed' })),
        ],
        flags: { favourableToDb: true },
        expectedOutcome: follow.outcome,
        notes: [`recipient mobile ${mobile}`],
      });
    },
  };
}

/** The instruction is carried out late: D6 (re-delivery) or D7 (return) missed. */
function lateFollowUp(instruction: 'DELIVER' | 'RETURN'): Scenario {
  return {
    id: `failed-delivery/${instruction === 'DELIVER' ? 'redelivery-late' : 'return-late'}`,
    weight: 2,
    run(ctx) {
      const reason = ctx.rotate(`failed-delivery/late-${instruction}-reason`, ['NOBODY_HOME', 'REFUSED', 'INSPECTION_TOO_LONG', 'CUSTOMER_OFF_DUTY']);
      const journey = ctx.newJourney();
      const attempt = firstAttempt(journey, reason);
      const dueAt = d4Due(ctx, journey.destination, attempt.failedAt);
      const registeredAt = within(journey, attempt.failedAt, dueAt, 10, 90);
      registerOnline(journey, registeredAt, reason, attempt, { dueAt });
      const repliedAt = journey.later(registeredAt, 20, 3 * 60);
      journey.reply(repliedAt, CLASS, instruction);
      const follow = followInstruction(ctx, journey, instruction, registeredAt, repliedAt, true);
      report(ctx, journey, reason, attempt, {
        expected: [d4(ctx, journey, attempt, registeredAt), d5(ctx, journey, registeredAt, repliedAt), ...follow.expected],
        expectedOutcome: follow.outcome,
      });
    },
  };
}

/** An evening attempt after 21:00 without a handheld SMS: the customer SMS is held until quiet hours end. */
const eveningAttempt: Scenario = {
  id: 'failed-delivery/evening-quiet-hours',
  weight: 2,
  run(ctx) {
    const reason = ctx.rotate('failed-delivery/evening-reason', ['NOBODY_HOME', 'NO_ANSWER', 'CUSTOMER_OFF_DUTY']);
    const journey = ctx.newJourney({ mobile: 'valid' });
    const arrivedAt = journey.runToDestination();
    let day = ctx.clock.dayOffsetOf(arrivedAt);
    if (ctx.clock.at(day, '19:00') < arrivedAt) day += 1;
    const outAt = journey.outForDeliveryAt(journey.later(ctx.clock.at(day, '19:30'), 0, 10));
    const failedAt = journey.later(ctx.clock.at(day, '21:05'), 0, 75);
    journey.failed(failedAt, reason, 1, false);
    const attempt = { failedAt, smsSent: false };
    const dueAt = d4Due(ctx, journey.destination, failedAt);
    const registeredAt = within(journey, failedAt, dueAt, 10, 45);
    registerOnline(journey, registeredAt, reason, attempt, { dueAt });
    const repliedAt = journey.later(registeredAt, 9 * 60, 12 * 60);
    journey.reply(repliedAt, CLASS, 'DELIVER');
    const follow = followInstruction(ctx, journey, 'DELIVER', registeredAt, repliedAt);
    report(ctx, journey, reason, attempt, {
      expected: [d4(ctx, journey, attempt, registeredAt), d5(ctx, journey, registeredAt, repliedAt), ...follow.expected],
      expectedOutcome: follow.outcome,
      notes: [`evening run out at ${journey.format(outAt)}`],
    });
  },
};

export const failedDeliveryScenarios: readonly Scenario[] = [
  registeredAndInstructed,
  registrationLate,
  neverRegistered,
  wrongNotifyBranch,
  phoneFallback,
  noReply,
  lateReply,
  repeatedAttempts,
  cannotPayTwice,
  favourableScenario('missing'),
  favourableScenario('invalid'),
  lateFollowUp('DELIVER'),
  lateFollowUp('RETURN'),
  eveningAttempt,
];

// Exported for the tests' coverage checks.
export const FAILED_DELIVERY_REASONS = REASONS;
