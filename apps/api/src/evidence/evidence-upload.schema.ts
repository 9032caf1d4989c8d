import { z } from 'zod';
import { codLetterDetailsSchema, EVIDENCE_KINDS } from '#contracts';

/**
 * Media types evidence may be served back as. Anything else is stored and served as application/octet-stream,
 * so an uploaded HTML or SVG file can never run as a page of this origin.
 */
export const SERVABLE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'text/plain'] as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const evidenceUploadSchema = z
  .strictObject({
    kind: z.enum(EVIDENCE_KINDS, { error: `must be one of ${EVIDENCE_KINDS.join(', ')}` }),
    contentBase64: z
      .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
      .min(1, 'must not be empty')
      .regex(BASE64, 'must be standard base64')
      .describe('the file, base64-encoded (the whole request is limited to 8 MiB)'),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 hex digest')
      .optional()
      .describe('optional: the digest the client computed; the upload is refused when the content does not match'),
    mediaType: z.string().max(100).optional().describe(`one of ${SERVABLE_MEDIA_TYPES.join(', ')}; anything else is kept as application/octet-stream`),
    fileName: z.string().trim().min(1).max(200).optional(),
    note: z.string().max(2000, 'must be at most 2000 characters').optional(),
    letter: codLetterDetailsSchema
      .optional()
      .describe('LETTER only: a COD confirmation letter’s details (rules §5); with them the letter can make a COD change APPLIED'),
    authorisedBy: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .optional()
      .describe('LETTER only: who authorised a return-receipt change (rules §5, §7)'),
  })
  .superRefine((upload, ctx) => {
    for (const field of ['letter', 'authorisedBy'] as const) {
      if (upload[field] !== undefined && upload.kind !== 'LETTER') {
        ctx.addIssue({ code: 'custom', path: [field], message: 'only allowed with kind LETTER' });
      }
    }
  });
export type EvidenceUpload = z.output<typeof evidenceUploadSchema>;
