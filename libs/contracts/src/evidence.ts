import { z } from 'zod';
import { eventIdSchema, eventTimeSchema, oneOf, sha256Schema, siteCodeSchema, text, waybillNoSchema } from './primitives.js';

/**
 * `courier.evidence.v1` (internal, beside the input topics of events.md): evidence stored for a case through the staff
 * API — the content stays in PostgreSQL (`case_evidence`, append-only), the message carries its hash. Keyed by
 * waybillNo like every input topic; the ingest service consumes it and feeds `evidenceEngineInput(message)` to
 * `decide`, so evidence satisfies the §5 gates (photo, letter) through the same engine as every other fact.
 *
 *   { kind: 'evidenceAttached', …, caseId, evidenceId, evidenceKind, uri, sha256, attachedBy, site,
 *     letter?: { signedBy, stamped, verifiedWithSenderBy }, authorisedBy? }
 */
export const EVIDENCE_TOPIC = 'courier.evidence.v1';

export const EVIDENCE_KINDS = ['PHOTO', 'LETTER', 'SMS_LOG', 'OTHER'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** A COD confirmation letter's details (rules §5): signed, stamped, verified with the sender by a named agent. */
export const codLetterDetailsSchema = z.strictObject({
  signedBy: text(100).describe('who signed the letter'),
  stamped: z.boolean({ error: 'must be true or false' }).describe('whether it carries the stamp'),
  verifiedWithSenderBy: text(100).describe('the agent who verified it with the sender'),
});

export const evidenceMessageSchema = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal('evidenceAttached'),
  /** Unique per evidence item: a repeat is a duplicate. */
  eventId: eventIdSchema,
  waybillNo: waybillNoSchema,
  caseId: z.string().min(1).max(256),
  /** When the item was stored (the API's time is the event time of a staff action). */
  occurredAt: eventTimeSchema,
  evidenceId: z.uuid({ error: 'must be a UUID' }),
  evidenceKind: oneOf(EVIDENCE_KINDS),
  /** Where the content is kept (`api:evidence/<evidenceId>`). */
  uri: text(1000),
  sha256: sha256Schema,
  attachedBy: text(100),
  /** The uploader's site, or HQ. */
  site: siteCodeSchema,
  letter: codLetterDetailsSchema.optional(),
  authorisedBy: text(100).optional(),
});
export type EvidenceMessage = z.output<typeof evidenceMessageSchema>;
