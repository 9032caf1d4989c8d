import { DateTime } from 'luxon';
import { z } from 'zod';
import { REASON_CODES, type ReasonCode } from './reason-codes.js';

/** Every free-text field is bounded, so one message cannot carry megabytes of a single string. */
export const MAX_TEXT = 2000;
export const MAX_SHORT_TEXT = 200;

export const WAYBILL_NO_PATTERN = /^[A-Z0-9]{8,20}$/;
export const SITE_CODE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const CASE_NO_PATTERN = /^PI-\d{6}-\d{7}$/;
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

/** A non-empty string of at most `max` characters. */
export function text(max: number = MAX_SHORT_TEXT) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);
}

export const eventIdSchema = text(64);

export const waybillNoSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .regex(WAYBILL_NO_PATTERN, 'must match [A-Z0-9]{8,20}');

export const siteCodeSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .regex(SITE_CODE_PATTERN, 'must match [A-Za-z0-9_-]{1,32}');

export const caseNoSchema = z.string().regex(CASE_NO_PATTERN, 'must look like PI-YYYYMM-NNNNNNN');

export const sha256Schema = z.string().regex(SHA256_PATTERN, 'must be a SHA-256 hex digest (64 hex characters)');

/**
 * The earliest time an event may carry. Late events are applied however late they arrive (rules §3: deadlines run
 * on event time, and replaying an old day must give the same result whenever it runs), so there is no bound
 * relative to processing time. This absolute floor only catches clocks that were never set (a handheld whose clock
 * was reset reads 1970-01-01) and keeps every time where JavaScript's ISO output and PostgreSQL
 * agree: 0001-01-01T00:00+08:00 prints as year 0000, which PostgreSQL refuses, and a refused row stops the partition.
 */
export const MIN_EVENT_TIME = '2000-01-01T00:00:00Z';
const MIN_EVENT_TIME_MS = Date.parse(MIN_EVENT_TIME);

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const ISO_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$/;

/**
 * An ISO-8601 timestamp that carries its UTC offset (`Z` or `±HH:MM`), kept exactly as sent: the engine turns it
 * into UTC. A local time without an offset is ambiguous across zones, so events.md makes it invalid.
 */
export const timestampSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a timestamp string') })
  .max(40, 'must be an ISO-8601 timestamp with offset')
  .superRefine((value, ctx) => {
    if (ISO_WITHOUT_OFFSET.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'timestamp must carry an offset' });
    } else if (!ISO_WITH_OFFSET.test(value)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an ISO-8601 timestamp with offset (e.g. 2026-11-23T09:30:00+08:00)` });
    } else if (!DateTime.fromISO(value, { setZone: true }).isValid) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid date and time` });
    }
  });

/** The time of an event (`occurredAt`, `observedAt`, a phone call): a timestamp not before MIN_EVENT_TIME. */
export const eventTimeSchema = timestampSchema.superRefine((value, ctx) => {
  // Any year from 2001 on is past the floor whatever the offset: only older ones need the exact comparison.
  if (value.slice(0, 4) > '2000') return;
  const time = DateTime.fromISO(value, { setZone: true });
  if (time.isValid && time.toMillis() < MIN_EVENT_TIME_MS) {
    ctx.addIssue({ code: 'custom', message: `${value} is before ${MIN_EVENT_TIME}: a device clock that was never set, not a time of this network` });
  }
});

export const reasonCodeSchema = z.enum(REASON_CODES as [ReasonCode, ...ReasonCode[]], {
  error: (issue) => (issue.input === undefined ? 'required' : `unknown code ${JSON.stringify(issue.input)}`),
});

/** An enum with a readable error naming the allowed values. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined ? 'required' : `${JSON.stringify(issue.input)} is not one of ${values.join(', ')}`,
  });
}

const MAX_YUAN = 100_000_000;

/**
 * A money amount in yuan as the wire sends it (a JSON number with at most 2 decimals). JavaScript prints a
 * parsed number in its shortest round-trip form, so `String(amount)` shows exactly the decimals that were sent
 * (12.30 arrives as 12.3): that is the exactness check, with no floating-point tolerance.
 */
export const yuanSchema = z
  .number({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a number (yuan)') })
  .min(0, 'must not be negative')
  .max(MAX_YUAN, `must be at most ${MAX_YUAN} yuan`)
  .refine((amount) => /^-?\d+(?:\.\d{1,2})?$/.test(String(amount)), 'must have at most 2 decimals');

/** Yuan → fen (integer). Exact for amounts accepted by `yuanSchema`. */
export function yuanToFen(amount: number): number {
  return Math.round(amount * 100);
}

export const positiveIntSchema = (max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a number') })
    .int('must be a whole number')
    .min(1, 'must be a whole number ≥ 1')
    .max(max, `must be at most ${max}`);
