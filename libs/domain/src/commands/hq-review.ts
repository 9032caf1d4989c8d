import type { HqReviewMessage } from '#contracts';
import type { HqReviewInput, HqReviewOpenedInput } from '../engine/types.js';

/** The engine input a message stands for (`at` in UTC, as the engine keeps times). */
export function hqReviewEngineInput(message: HqReviewMessage): HqReviewInput | HqReviewOpenedInput {
  const at = new Date(message.occurredAt).toISOString();
  if (message.kind === 'hqReviewOpened') {
    return {
      kind: 'hqReviewOpened',
      caseId: message.caseId,
      liabilityId: message.liabilityId,
      requestedBy: message.requestedBy,
      reason: message.reason,
      at,
    };
  }
  return {
    kind: 'hqReview',
    reviewId: message.eventId,
    caseId: message.caseId,
    liabilityId: message.liabilityId,
    outcome: message.outcome,
    ...(message.reassignTo ? { reassignTo: message.reassignTo } : {}),
    reviewer: message.reviewer,
    reason: message.reason,
    at,
  };
}

