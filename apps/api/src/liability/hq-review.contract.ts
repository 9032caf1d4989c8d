import { z } from 'zod';
import { MAX_TEXT, PARTIES, SITE_CODE_PATTERN, timestampSchema, WAYBILL_NO_PATTERN } from '#contracts';
import type { HqReviewInput, HqReviewOpenedInput } from '#domain';

/**
 * `courier.hq-review.v1` (internal; proposed for events.md): HQ's commands on liability records, keyed by
 * waybillNo like every input topic so that they are ordered with the waybill's other events. The ingest service
 * is to consume it and feed `toEngineInput(message)` to `decide`, in the same transaction as the stream's events.
 *
 *   { kind: 'hqReviewOpened', …, liabilityId, requestedBy, reason }  → UNDER_HQ_REVIEW
 *   { kind: 'hqReview', …, liabilityId, outcome, reassignTo?, reviewer, reason } → a HQ_REVIEW record (final)
 */
export const HQ_REVIEW_TOPIC = 'courier.hq-review.v1';

export const REVIEW_OUTCOMES = ['UPHOLD', 'REASSIGN', 'CANCEL'] as const;

const id = z.string().min(1).max(256);
const reason = z.string().trim().min(1, 'must not be empty').max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);
const envelope = {
  schemaVersion: z.literal(1),
  /** Unique per command; a repeat is a duplicate. For a review it is also the review's id. */
  eventId: z.string().min(1).max(64),
  waybillNo: z.string().regex(WAYBILL_NO_PATTERN),
  caseId: id,
  liabilityId: id,
  /** When HQ issued the command (processing time of the API is the event time of a staff decision). */
  occurredAt: timestampSchema,
};

export const reassignTargetSchema = z.strictObject({
  party: z.enum(PARTIES, { error: `must be one of ${PARTIES.join(', ')}` }),
  siteCode: z.string().regex(SITE_CODE_PATTERN, 'must match [A-Za-z0-9_-]{1,32}').nullable(),
});

export const hqReviewMessageSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...envelope,
    kind: z.literal('hqReviewOpened'),
    requestedBy: z.string().min(1).max(100),
    reason,
  }),
  z
    .strictObject({
      ...envelope,
      kind: z.literal('hqReview'),
      outcome: z.enum(REVIEW_OUTCOMES),
      reassignTo: reassignTargetSchema.optional(),
      reviewer: z.string().min(1).max(100),
      reason,
    })
    .superRefine((review, ctx) => {
      if ((review.outcome === 'REASSIGN') !== (review.reassignTo !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['reassignTo'], message: 'required for REASSIGN, and only then' });
      }
    }),
]);
export type HqReviewMessage = z.output<typeof hqReviewMessageSchema>;

/** The engine input a message stands for (`at` in UTC, as the engine keeps times). */
export function toEngineInput(message: HqReviewMessage): HqReviewInput | HqReviewOpenedInput {
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

/** Body of `POST /api/liabilities/{recordId}/review`. */
export const hqReviewBodySchema = z
  .strictObject({
    outcome: z.enum(REVIEW_OUTCOMES, { error: `must be one of ${REVIEW_OUTCOMES.join(', ')}` }),
    reassignTo: reassignTargetSchema.optional().describe('the party (and site) now liable; required for REASSIGN'),
    reason: reason.describe('why (kept on the review record)'),
  })
  .superRefine((body, ctx) => {
    if (body.outcome === 'REASSIGN' && !body.reassignTo) {
      ctx.addIssue({ code: 'custom', path: ['reassignTo'], message: 'required when outcome = REASSIGN' });
    }
    if (body.outcome !== 'REASSIGN' && body.reassignTo) {
      ctx.addIssue({ code: 'custom', path: ['reassignTo'], message: 'only allowed when outcome = REASSIGN' });
    }
  });
export type HqReviewBody = z.output<typeof hqReviewBodySchema>;

/** Body of `POST /api/liabilities/{recordId}/review-request`. */
export const hqReviewRequestBodySchema = z.strictObject({ reason: reason.describe('why the record is put under review') });
export type HqReviewRequestBody = z.output<typeof hqReviewRequestBodySchema>;
