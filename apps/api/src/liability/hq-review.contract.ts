import { z } from 'zod';
import { MAX_TEXT, REVIEW_OUTCOMES, reassignTargetSchema } from '#contracts';

// The message on `courier.hq-review.v1` and its engine input live in #contracts and #domain; re-exported for the API.
export { HQ_REVIEW_TOPIC, REVIEW_OUTCOMES, reassignTargetSchema, hqReviewMessageSchema, type HqReviewMessage } from '#contracts';
export { hqReviewEngineInput as toEngineInput } from '#domain';

const reason = z.string().trim().min(1, 'must not be empty').max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);

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
