import type { Journey } from '../journey.js';
import { staffName } from '../people.js';
import type { ExceptionEvent } from '../wire.js';
import { deadline, MINUTE, officeTimeAfter, within } from './support.js';
import type { Scenario } from './types.js';

/**
 * COD_CHANGE (rules.md §5, §7): a change is APPLIED only with a valid confirmation letter (signed, stamped,
 * verified with the sender) and the origin branch's APPLY_COD_CHANGE reply; otherwise it stays REQUESTED.
 */

const CLASS = 'COD_CHANGE';
const REASONS = ['COD_CANCELLED', 'COD_AMOUNT_CHANGED', 'CASH_TO_CHEQUE', 'CHEQUE_TO_CASH'] as const;
type Reason = (typeof REASONS)[number];
type Letter = 'valid' | 'missing' | 'unstamped';
type Answer = 'apply' | 'cancel' | 'none';

function changeFor(journey: Journey, reason: Reason, letter: Letter): { codChange: NonNullable<ExceptionEvent['codChange']>; evidence?: ExceptionEvent['evidence'] } {
  const codChange: NonNullable<ExceptionEvent['codChange']> = {};
  if (reason === 'COD_AMOUNT_CHANGED') {
    const current = journey.facts.cod?.amount ?? 100;
    codChange.newAmount = Math.max(1, Math.round(current * journey.rng.int(50, 90))) / 100;
  } else if (reason === 'CASH_TO_CHEQUE') {
    codChange.newMethod = 'CHEQUE';
  } else if (reason === 'CHEQUE_TO_CASH') {
    codChange.newMethod = 'CASH';
  }
  if (letter === 'missing') {
    return { codChange };
  }
  const letterDocument = journey.evidence('LETTER');
  codChange.letter = {
    signedBy: journey.facts.sender.name,
    stamped: letter === 'valid',
    verifiedWithSenderBy: staffName(journey.rng),
    evidenceSha256: letterDocument.sha256,
  };
  return { codChange, evidence: [letterDocument] };
}

function scenario(letter: Letter, answer: Answer, weight: number): Scenario {
  return {
    id: `cod-change/${letter}-letter-${answer === 'none' ? 'no-reply' : answer}`,
    weight,
    run(ctx) {
      const reason = ctx.rotate(`cod-change/reason-${letter}-${answer}`, REASONS);
      const method = reason === 'CASH_TO_CHEQUE' ? 'CASH' : reason === 'CHEQUE_TO_CASH' ? 'CHEQUE' : true;
      const journey = ctx.newJourney({ cod: method });
      const arrivedAt = journey.runToDestination();
      const registeredAt = officeTimeAfter(ctx, journey, arrivedAt, 15, 180);
      journey.register(registeredAt, journey.destination, reason, {
        description: '寄件人申请变更代收货款',
        notifyBranch: journey.origin,
        ...changeFor(journey, reason, letter),
      });
      const d5DueAt = registeredAt + ctx.policy.durations.d5 * MINUTE;
      let repliedAt: number | null = null;
      if (answer !== 'none') {
        repliedAt = within(journey, registeredAt, d5DueAt, 30, 10 * 60);
        journey.reply(repliedAt, CLASS, answer === 'apply' ? 'APPLY_COD_CHANGE' : 'CANCEL');
      }
      journey.deliver(repliedAt ?? d5DueAt, 10);
      const applied = letter === 'valid' && answer === 'apply';
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `registration by the delivering branch ${journey.destination}`,
        expected: [deadline('D5', 'OB', journey.origin, d5DueAt, repliedAt)],
        flags: { codChange: applied ? 'APPLIED' : 'REQUESTED', ...(answer === 'none' ? { noReply: true } : {}) },
        expectedOutcome: 'DELIVERED',
        notes: [`letter ${letter}; reply ${answer === 'apply' ? 'APPLY_COD_CHANGE' : answer === 'cancel' ? 'CANCEL' : 'none'}`],
      });
    },
  };
}

export const codChangeScenarios: readonly Scenario[] = [
  scenario('valid', 'apply', 4),
  scenario('missing', 'apply', 2),
  scenario('unstamped', 'apply', 1),
  scenario('valid', 'none', 1),
  scenario('valid', 'cancel', 1),
];
