import type { Journey } from '../journey.js';
import { staffName } from '../people.js';
import type { ExceptionEvent } from '../wire.js';
import { deadline, MINUTE, officeTimeAfter, within } from './support.js';
import type { JourneyOptions, Scenario } from './types.js';

/**
 * PAYMENT_CHANGE (rules.md §5, §7): applied on APPLY_PAYMENT_CHANGE; weight changes also need a photo,
 * return-receipt changes a letter and who authorised it; freight changes need nothing more.
 */

const CLASS = 'PAYMENT_CHANGE';

interface Variant {
  id: string;
  reason: string;
  journey: JourneyOptions;
  /** Builds the registration's payload; returns whether the prerequisites for APPLIED are all present. */
  payload(journey: Journey): { fields: Partial<ExceptionEvent>; complete: boolean };
  weight: number;
}

const VARIANTS: readonly Variant[] = [
  {
    id: 'freight-collect-to-prepaid',
    reason: 'FREIGHT_COLLECT_TO_PREPAID',
    journey: { freightPayer: 'RECIPIENT' },
    payload: () => ({ fields: { paymentChange: { newFreightPayer: 'SENDER' }, description: '寄件人同意改为寄付' }, complete: true }),
    weight: 2,
  },
  {
    id: 'prepaid-to-freight-collect',
    reason: 'PREPAID_TO_FREIGHT_COLLECT',
    journey: { freightPayer: 'SENDER' },
    payload: () => ({ fields: { paymentChange: { newFreightPayer: 'RECIPIENT' }, description: '寄件人要求改为到付' }, complete: true }),
    weight: 1,
  },
  {
    id: 'freight-amount-changed',
    reason: 'FREIGHT_AMOUNT_CHANGED',
    journey: {},
    payload: (journey) => ({
      fields: { paymentChange: { newFreightAmount: journey.rng.int(800, 6000) / 100 }, description: '运费核算有误，按实际线路调整' },
      complete: true,
    }),
    weight: 1,
  },
  {
    id: 'weight-mismatch-with-photo',
    reason: 'WEIGHT_MISMATCH',
    journey: {},
    payload: (journey) => ({
      fields: {
        paymentChange: { actualWeightKg: Math.round((journey.facts.weightKg + journey.rng.int(10, 50) / 10) * 10) / 10 },
        evidence: [journey.evidence('PHOTO')],
        description: '复称重量与面单不符，已拍照（电子秤读数）',
      },
      complete: true,
    }),
    weight: 2,
  },
  {
    id: 'weight-mismatch-without-photo',
    reason: 'WEIGHT_MISMATCH',
    journey: {},
    payload: (journey) => ({
      fields: {
        paymentChange: { actualWeightKg: Math.round((journey.facts.weightKg + journey.rng.int(10, 50) / 10) * 10) / 10 },
        description: '复称重量与面单不符（未拍照）',
      },
      complete: false,
    }),
    weight: 1,
  },
  {
    id: 'return-receipt-authorised',
    reason: 'RETURN_RECEIPT_CHANGE',
    journey: { returnReceipt: true },
    payload: (journey) => ({
      fields: {
        paymentChange: { authorisedBy: journey.facts.sender.name },
        evidence: [journey.evidence('LETTER')],
        description: '回单要求变更，附更改确认函',
      },
      complete: true,
    }),
    weight: 1,
  },
  {
    id: 'return-receipt-unauthorised',
    reason: 'RETURN_RECEIPT_CHANGE',
    journey: { returnReceipt: true },
    payload: (journey) => ({
      fields: { evidence: [journey.evidence('LETTER')], description: `回单要求变更（经办：${staffName(journey.rng)}，未注明授权人）` },
      complete: false,
    }),
    weight: 1,
  },
];

function scenario(variant: Variant): Scenario {
  return {
    id: `payment-change/${variant.id}`,
    weight: variant.weight,
    run(ctx) {
      const journey = ctx.newJourney(variant.journey);
      const arrivedAt = journey.runToDestination();
      const registeredAt = officeTimeAfter(ctx, journey, arrivedAt, 15, 180);
      const { fields, complete } = variant.payload(journey);
      journey.register(registeredAt, journey.destination, variant.reason, { notifyBranch: journey.origin, ...fields });
      const d5DueAt = registeredAt + ctx.policy.durations.d5 * MINUTE;
      const repliedAt = within(journey, registeredAt, d5DueAt, 30, 12 * 60);
      journey.reply(repliedAt, CLASS, 'APPLY_PAYMENT_CHANGE');
      journey.deliver(repliedAt, 10);
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: variant.reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by the delivering branch ${journey.destination}`,
        expected: [deadline('D5', 'OB', journey.origin, d5DueAt, repliedAt)],
        flags: { paymentChange: complete ? 'APPLIED' : 'REQUESTED' },
        expectedOutcome: 'DELIVERED',
      });
    },
  };
}

export const paymentChangeScenarios: readonly Scenario[] = VARIANTS.map(scenario);
