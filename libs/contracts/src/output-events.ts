import { z } from 'zod';
import { siteCodeSchema, timestampSchema, waybillNoSchema } from './primitives.js';
import { isStorableText, printableReason } from './printable.js';
import { CASE_CLASSES } from './reason-codes.js';

/*
 * Output events (events.md): what the services publish. Producers validate with these schemas before sending,
 * and consumers (dashboards, the tests) parse with them, so both sides share one definition.
 */

/** rules.md §7 case states (the domain engine re-exports these). */
export const CASE_STATES = ['OPEN', 'NOTIFIED', 'AWAITING_REPLY', 'INSTRUCTED', 'IN_ACTION', 'RESOLVED', 'CLOSED'] as const;
export type CaseStateName = (typeof CASE_STATES)[number];

export const PARTIES = ['HUB', 'DB', 'RB', 'OB', 'CS', 'HQ'] as const;
const party = z.enum(PARTIES);
/** D2…D11, C1–C3, S1, DWELL, ESC1, ESC2 …: a pattern rather than a list, so a new ladder step needs no contract change. */
const ruleId = z.string().regex(/^(?:D(?:[2-9]|1[01])|C[1-3]|S1|DWELL|ESC\d+)$/, 'must be a rule id of rules.md');
const isoTime = timestampSchema;
const id = z.string().min(1).max(256);

// ------------------------------------------------------------------------------------------ courier.case.v1

export const CASE_EVENT_TYPES = [
  'CASE_OPENED',
  'CASE_CHANGED',
  'CASE_OVERDUE',
  'CASE_OVERDUE_RETRACTED',
  'CASE_ESCALATED',
  'CASE_RESOLVED',
] as const;

export const caseEventSchema = z.object({
  schemaVersion: z.literal(1),
  /** Deterministic (case id, type, and what changed), so a re-published decision is recognisable as a repeat. */
  eventId: id,
  type: z.enum(CASE_EVENT_TYPES),
  /** Event time the change belongs to (never processing time). */
  occurredAt: isoTime,
  emittedAt: isoTime,
  waybillNo: waybillNoSchema,
  caseId: id,
  caseNo: z.string().nullable(),
  caseClass: z.enum(CASE_CLASSES),
  reasonCode: z.string(),
  state: z.enum(CASE_STATES),
  previousState: z.enum(CASE_STATES).nullable().optional(),
  outcome: z.string().nullable(),
  originBranch: siteCodeSchema.nullable(),
  deliveringBranch: siteCodeSchema.nullable(),
  flags: z.object({
    overdue: z.array(z.object({ rule: ruleId, party, siteCode: z.string().nullable() })),
    escalationLevel: z.number().int().min(0),
    noReply: z.boolean(),
    underHqReview: z.boolean(),
    favourableToDb: z.boolean(),
    wrongTarget: z.boolean(),
  }),
  /** For CASE_OVERDUE / CASE_OVERDUE_RETRACTED: the deadline concerned. */
  deadline: z
    .object({
      id,
      rule: ruleId,
      dueAt: isoTime,
      status: z.enum(['PENDING', 'MET', 'MISSED', 'CANCELLED', 'RETRACTED']),
      party,
      siteCode: z.string().nullable(),
    })
    .optional(),
  /** For CASE_OVERDUE / CASE_OVERDUE_RETRACTED: the liability record written (or its retraction). */
  liability: z
    .object({
      id,
      kind: z.enum(['RECORD', 'RETRACTION', 'HQ_REVIEW']),
      rule: ruleId,
      party,
      siteCode: z.string().nullable(),
      minutesLate: z.number().int().nullable(),
      refersTo: z.string().nullable(),
    })
    .optional(),
  /** For CASE_ESCALATED. */
  escalationLevel: z.number().int().min(1).optional(),
});
export type CaseEvent = z.output<typeof caseEventSchema>;

// ---------------------------------------------------------------------------------- courier.notification.v1

export const notificationEventSchema = z.object({
  schemaVersion: z.literal(1),
  /** The notification's deterministic identity (case, kind, target, attempt): consumers deduplicate on it. */
  notificationId: id,
  caseId: id,
  caseNo: z.string().nullable(),
  waybillNo: waybillNoSchema,
  kind: z.string().min(1).max(64),
  channel: z.enum(['BRANCH_ALERT', 'SMS', 'EMAIL', 'WEBHOOK']),
  targetRole: z.string().min(1).max(64),
  targetSite: z.string().nullable(),
  /** Personal data is masked before publishing (rules.md §6): e.g. 138****5678. */
  recipientMasked: z.string().nullable(),
  /** SMS text (surname and honorific only, never the full name) or the alert's summary. */
  body: z.string().max(4000),
  /** The event time it was issued for. */
  eventTime: isoTime,
  /** Quiet hours: held until then. */
  notBefore: isoTime.nullable(),
  /** When it was handed to the channel (or recorded, for `ALREADY_SENT`). */
  sentAt: isoTime,
  attempt: z.number().int().min(1).nullable(),
  /** SENT by us; ALREADY_SENT by the courier's handheld (recorded as evidence only); FAILED after retries. */
  status: z.enum(['SENT', 'ALREADY_SENT', 'FAILED']),
  error: z.string().max(2000).optional(),
});
export type NotificationEvent = z.output<typeof notificationEventSchema>;

// ------------------------------------------------------------------------------------------- courier.dlq.v1

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const dlqRecordSchema = z.object({
  schemaVersion: z.literal(1),
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  /** Kafka offsets are int64: carried as a decimal string. */
  offset: z.string().regex(/^\d+$/, 'must be a decimal offset'),
  /** The original key as UTF-8 text when it decodes, else null (see `keyBase64`). */
  key: z.string().nullable(),
  keyBase64: base64.nullable(),
  /** The original value, byte for byte, base64-encoded (null for a tombstone). */
  valueBase64: base64.nullable(),
  /** Original headers, each value base64-encoded (Kafka header values are bytes). */
  headers: z.record(z.string(), z.union([base64, z.array(base64)])),
  reason: z.string().min(1).max(4000),
  field: z.string().nullable(),
  rejectedAt: isoTime,
});
export type DlqRecord = z.output<typeof dlqRecordSchema>;

type Bytes = string | Uint8Array;

export interface RejectedMessage {
  topic: string;
  partition: number;
  offset: string | number | bigint;
  key: Bytes | null | undefined;
  value: Bytes | null | undefined;
  headers?: Record<string, Bytes | Bytes[] | null | undefined>;
  reason: string;
  field?: string | null;
  rejectedAt: Date | string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function toBase64(bytes: Bytes): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)).toString('base64');
}

/** Builds the DLQ record for a rejected input message, keeping every original byte. */
export function toDlqRecord(message: RejectedMessage): DlqRecord {
  let key: string | null = null;
  if (typeof message.key === 'string') {
    key = message.key;
  } else if (message.key) {
    try {
      key = strictUtf8.decode(message.key);
    } catch {
      key = null;
    }
  }
  // A NUL cannot be stored (text or jsonb): such a key is only in keyBase64.
  if (key !== null && !isStorableText(key)) key = null;
  const headers: DlqRecord['headers'] = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === null || value === undefined) continue;
    // Header names are free text on the wire; the record is stored as jsonb, which refuses NUL.
    headers[printableReason(name)] = Array.isArray(value) ? value.map(toBase64) : toBase64(value);
  }
  return dlqRecordSchema.parse({
    schemaVersion: 1,
    topic: message.topic,
    partition: message.partition,
    offset: String(message.offset),
    key,
    keyBase64: message.key === null || message.key === undefined ? null : toBase64(message.key),
    valueBase64: message.value === null || message.value === undefined ? null : toBase64(message.value),
    headers,
    reason: printableReason(message.reason),
    field: message.field ?? null,
    rejectedAt: new Date(message.rejectedAt).toISOString(),
  });
}
