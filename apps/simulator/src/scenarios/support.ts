import { d2Cutoff, endOfLocalDay, endOfNthWorkingDayAfter, firstDepartureAfter } from '#domain';
import type { Journey } from '../journey.js';
import { OTHER_CARRIERS } from '../people.js';
import type { Instruction } from '../wire.js';
import type { DeadlineDraft, ProblemDraft, ScenarioContext } from './types.js';

/**
 * Deadline arithmetic shared by the scenarios. It goes through the domain's own time helpers, so the ground
 * truth states due times exactly as the engine computes them.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A random instant strictly between `from` and `to` (whole seconds), biased to `[from + minMinutes, from + maxMinutes]`. */
export function within(journey: Journey, from: number, to: number, minMinutes: number, maxMinutes: number): number {
  const low = Math.min(from + minMinutes * MINUTE, to - 2 * MINUTE);
  const high = Math.min(from + maxMinutes * MINUTE, to - MINUTE);
  const lowSecond = Math.ceil(Math.max(low, from + 1000) / 1000);
  const highSecond = Math.floor(Math.max(high, lowSecond * 1000) / 1000);
  return journey.rng.int(lowSecond, highSecond) * 1000;
}

/** D4: end of the failed attempt's local day, or the delivering branch's close time. */
export function d4Due(ctx: ScenarioContext, branchCode: string, failedAt: number): number {
  return endOfLocalDay(new Date(failedAt), ctx.policy.timeZone, ctx.policy.sites[branchCode]?.closeTime).getTime();
}

/** D2: the first cutoff (10:00) strictly after the hub arrival. */
export function d2Due(ctx: ScenarioContext, hubArrivalAt: number): number {
  return d2Cutoff(new Date(hubArrivalAt), ctx.policy.d2CutoffTime, ctx.policy.timeZone).getTime();
}

/** D7: the first departure after the reply when given on the registration's local day, else reply + 24 h. */
export function d7Due(ctx: ScenarioContext, branchCode: string, registeredAt: number, repliedAt: number): number {
  const sameDay = ctx.clock.dayOffsetOf(registeredAt) === ctx.clock.dayOffsetOf(repliedAt);
  const departures = ctx.policy.sites[branchCode]?.departures ?? [];
  const slot = sameDay ? firstDepartureAfter(new Date(repliedAt), departures, ctx.policy.timeZone) : null;
  return slot ? slot.getTime() : repliedAt + ctx.policy.durations.d7LaterDay * MINUTE;
}

/** C3: end of the n-th working day strictly after the registration's local day. */
export function c3Due(ctx: ScenarioContext, registeredAt: number): number {
  return endOfNthWorkingDayAfter(new Date(registeredAt), ctx.policy.c3WorkingDays, ctx.policy.calendar, ctx.policy.timeZone).getTime();
}

export function deadline(
  rule: DeadlineDraft['rule'],
  party: DeadlineDraft['party'],
  siteCode: string | null,
  dueAt: number | null,
  metAt: number | null,
  note?: string,
): DeadlineDraft {
  return note ? { rule, party, siteCode, dueAt, metAt, note } : { rule, party, siteCode, dueAt, metAt };
}

export interface FollowUp {
  outcome: ProblemDraft['expectedOutcome'];
  expected: DeadlineDraft[];
}

/**
 * Carries out an origin-branch instruction physically (re-delivery, return, self-pickup, transfer) and says
 * which deadline it meets. `late` makes the delivering branch miss D6 or D7.
 */
export function followInstruction(
  ctx: ScenarioContext,
  journey: Journey,
  instruction: Instruction,
  registeredAt: number,
  repliedAt: number,
  late = false,
): FollowUp {
  const db = journey.destination;
  switch (instruction) {
    case 'DELIVER':
    case 'REDELIVER_NEW_ADDRESS': {
      const dueAt = repliedAt + ctx.policy.durations.d6 * MINUTE;
      const out = late ? journey.outForDelivery(dueAt, 30) : journey.outForDelivery(repliedAt, 10);
      let signedAt = journey.later(out, 20, 180);
      if (!late && signedAt > dueAt) signedAt = within(journey, out, dueAt, 5, 30);
      journey.signed(signedAt);
      return { outcome: 'DELIVERED', expected: [deadline('D6', 'DB', db, dueAt, signedAt)] };
    }
    case 'SELF_PICKUP': {
      const signedAt = journey.later(repliedAt, 120, 20 * 60);
      journey.signed(signedAt, { signer: journey.facts.recipient.name });
      return { outcome: 'DELIVERED', expected: [] };
    }
    case 'RETURN': {
      const dueAt = d7Due(ctx, db, registeredAt, repliedAt);
      const dispatchedAt = late ? journey.later(dueAt, 90, 600) : within(journey, repliedAt, dueAt + 1, 10, 600);
      journey.returnDispatched(dispatchedAt);
      journey.returnSigned(journey.later(dispatchedAt, 18 * 60, 40 * 60));
      return { outcome: 'RETURNED', expected: [deadline('D7', 'DB', db, dueAt, dispatchedAt)] };
    }
    case 'TRANSFER_OTHER_CARRIER': {
      const carrier = journey.rng.pick(OTHER_CARRIERS);
      const transferredAt = journey.later(repliedAt, 60, 360);
      journey.transferred(transferredAt, carrier);
      journey.signed(journey.later(transferredAt, 18 * 60, 50 * 60), { carrier });
      return { outcome: 'TRANSFERRED', expected: [] };
    }
    default: {
      // APPLY_* and CANCEL keep the shipment on its way: delivered on the next wave.
      journey.deliver(repliedAt, 10);
      return { outcome: 'DELIVERED', expected: [] };
    }
  }
}

/** A new address for REDELIVER_NEW_ADDRESS, in the same branch's area. */
export function newAddressFor(ctx: ScenarioContext, journey: Journey): string {
  const branchName = ctx.network.branch(journey.destination).name.replace(/营业部$/, '');
  return `广东省${branchName}区${journey.rng.pick(['新港路', '花城大道', '星光路', '海景路'])}${journey.rng.int(1, 299)}号（改址）`;
}

/**
 * A moment `minMinutes`–`maxMinutes` after `t`, moved into the branch's office hours (08:30–21:00 local):
 * paperwork such as change requests is not entered in the middle of the night.
 */
export function officeTimeAfter(ctx: ScenarioContext, journey: Journey, t: number, minMinutes: number, maxMinutes: number): number {
  const candidate = journey.later(t, minMinutes, maxMinutes);
  const minute = ctx.clock.minuteOfDay(candidate);
  const opens = 8 * 60 + 30;
  if (minute >= opens && minute < 21 * 60) return candidate;
  const day = ctx.clock.dayOffsetOf(candidate) + (minute >= 21 * 60 ? 1 : 0);
  return journey.later(ctx.clock.at(day, opens), 0, 90);
}
