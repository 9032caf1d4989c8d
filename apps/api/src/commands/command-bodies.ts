import { z } from 'zod';
import { MAX_TEXT, REASON_CODES, REPLY_INSTRUCTIONS, SITE_CODE_PATTERN, timestampSchema, type ReasonCode } from '#contracts';

/*
 * Request bodies of the staff commands. Strict objects: an unknown field is a 400, so a typo cannot silently drop
 * part of an instruction. The field rules mirror events.md; the full event is validated again with the contract's
 * own schema before it is published, so the API can never put an event on a topic that ingest would reject.
 */

const required = (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : 'must be a string');
const shortText = (max: number) => z.string({ error: required }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const note = z.string({ error: required }).max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);

export const replyBodySchema = z
  .strictObject({
    instruction: z.enum(REPLY_INSTRUCTIONS, { error: `must be one of ${REPLY_INSTRUCTIONS.join(', ')}` }),
    newAddress: shortText(500).optional().describe('required for REDELIVER_NEW_ADDRESS'),
    repliedBy: shortText(100).optional().describe('the person at the origin branch (default: the caller)'),
  })
  .superRefine((body, ctx) => {
    if (body.instruction === 'REDELIVER_NEW_ADDRESS' && body.newAddress === undefined) {
      ctx.addIssue({ code: 'custom', path: ['newAddress'], message: 'required when instruction = REDELIVER_NEW_ADDRESS' });
    }
  });
export type ReplyBody = z.output<typeof replyBodySchema>;

export const resolveBodySchema = z.strictObject({
  reason: shortText(MAX_TEXT).describe('why the case is resolved (rules §2.2: an explicit resolve needs a reason)'),
});
export type ResolveBody = z.output<typeof resolveBodySchema>;

/** D8: contact name, phone number and the time of the call are all required. */
export const phoneFallbackBodySchema = z.strictObject({
  contactName: shortText(100).describe('who was called at the origin branch'),
  phone: shortText(32).describe('the number called'),
  calledAt: timestampSchema.describe('when the call was made (ISO-8601 with offset); the notification time for D4'),
  notifyBranch: z.string().regex(SITE_CODE_PATTERN, 'must match [A-Za-z0-9_-]{1,32}').optional().describe('the branch that was called (checked against the real OB, D9)'),
  reasonCode: z
    .enum(REASON_CODES as unknown as [ReasonCode, ...ReasonCode[]], { error: 'must be a reason code of rules.md §2' })
    .optional()
    .describe("default: the case's reason code"),
  description: note.optional(),
});
export type PhoneFallbackBody = z.output<typeof phoneFallbackBodySchema>;

export const complaintStepBodySchema = z.strictObject({
  note: note.optional().describe('what was said or done'),
  actor: shortText(100).optional().describe('who did it (default: the caller)'),
});
export type ComplaintStepBody = z.output<typeof complaintStepBodySchema>;

/** Where a field of the published event comes from in the phone-fallback body (for 400s that name the body field). */
export const PHONE_FALLBACK_FIELDS: Record<string, string> = {
  'phoneRecord.contactName': 'contactName',
  'phoneRecord.phone': 'phone',
  'phoneRecord.calledAt': 'calledAt',
};
