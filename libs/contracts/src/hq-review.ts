import { z } from 'zod';
import { eventTimeSchema, MAX_TEXT, SITE_CODE_PATTERN, WAYBILL_NO_PATTERN } from './primitives.js';
import { PARTIES } from './output-events.js';

/**
 * `courier.hq-review.v1` (internal, beside the input topics of events.md): HQ's commands on liability records, keyed by
 * waybillNo like every input topic so that they are ordered with the waybill's other events. The ingest service
 * consumes it and feeds `hqReviewEngineInput(message)` to `decide`, in the same transaction as the stream's events.
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
  occurredAt: eventTimeSchema,
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

