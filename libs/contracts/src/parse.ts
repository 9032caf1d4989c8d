import type { z } from 'zod';
import { inputEventSchemas, type InputEvent } from './input-events.js';
import type { InputKind } from './topics.js';
import { hqReviewMessageSchema, type HqReviewMessage } from './hq-review.js';
import { evidenceMessageSchema, type EvidenceMessage } from './evidence.js';

/** events.md: a payload over 256 KiB is rejected. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** events.md: an event more than 7 days ahead of the time it is processed is rejected. */
export const MAX_FUTURE_MS = 7 * 24 * 60 * 60 * 1000;
/** No valid event nests deeper than 4 levels; anything far deeper is an attack or a producer bug. */
export const MAX_JSON_DEPTH = 16;

export interface RawInputMessage {
  /** The input topic the message came from; it becomes the event's `kind`. */
  kind: InputKind;
  /** The Kafka message key (must equal `waybillNo`). */
  key: string | Uint8Array | null | undefined;
  /** The Kafka message value: UTF-8 JSON. */
  value: string | Uint8Array | null | undefined;
  /** Processing time (injected clock), for the future-time check. */
  now: Date | string | number;
}

export type ParseResult =
  | { ok: true; event: InputEvent }
  | {
      ok: false;
      /** Readable, names the field and the rule broken; goes to the DLQ record. */
      reason: string;
      /** Dotted path of the first offending field (or `key` / `value`), when one is to blame. */
      field?: string;
    };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Validates one input message of events.md. Never throws: every bad input comes back as `{ ok: false, reason }`
 * for the DLQ. Checks, in order: size, UTF-8, JSON, nesting depth, schema (fields, codes, cross-field rules),
 * key = waybillNo, occurredAt not more than 7 days ahead of `now`.
 *
 * Duplicated JSON keys are accepted, last one wins (that is JSON.parse's behaviour and RFC 8259 leaves it to
 * the parser); the event that results is still fully validated.
 */
export function parseInputMessage(message: RawInputMessage): ParseResult {
  const result = parseKeyedMessage(message, (payload) =>
    // `kind` comes from the topic, never from the payload.
    inputEventSchemas[message.kind].safeParse({ ...payload, kind: message.kind }, { reportInput: true }),
  );
  return result.ok ? { ok: true, event: result.value as InputEvent } : result;
}

/**
 * Validates one message of the internal `courier.hq-review.v1` topic with the same checks as the input topics
 * (size, UTF-8, JSON, depth, schema, key = waybillNo, not too far in the future).
 */
export function parseHqReviewMessage(message: Omit<RawInputMessage, 'kind'>): HqReviewParseResult {
  const result = parseKeyedMessage(message, (payload) => hqReviewMessageSchema.safeParse(payload, { reportInput: true }));
  return result.ok ? { ok: true, message: result.value as HqReviewMessage } : result;
}

export type HqReviewParseResult = { ok: true; message: HqReviewMessage } | Extract<ParseResult, { ok: false }>;

/** Validates one message of the internal `courier.evidence.v1` topic with the same checks as the input topics. */
export function parseEvidenceMessage(message: Omit<RawInputMessage, 'kind'>): EvidenceParseResult {
  const result = parseKeyedMessage(message, (payload) => evidenceMessageSchema.safeParse(payload, { reportInput: true }));
  return result.ok ? { ok: true, message: result.value as EvidenceMessage } : result;
}

export type EvidenceParseResult = { ok: true; message: EvidenceMessage } | Extract<ParseResult, { ok: false }>;

type Validated = { waybillNo: string; occurredAt: string };

function parseKeyedMessage(
  message: Omit<RawInputMessage, 'kind'>,
  validate: (payload: Record<string, unknown>) => z.ZodSafeParseResult<unknown>,
): { ok: true; value: Validated } | Extract<ParseResult, { ok: false }> {
  const { value } = message;
  if (value === null || value === undefined) {
    return { ok: false, reason: 'empty message value (tombstone): an event is required', field: 'value' };
  }
  const bytes = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
  if (bytes > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `payload is ${bytes} bytes, over the 256 KiB limit`, field: 'value' };
  }

  let json: string;
  try {
    json = typeof value === 'string' ? value : utf8.decode(value);
  } catch {
    return { ok: false, reason: 'payload is not valid UTF-8', field: 'value' };
  }

  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}`, field: 'value' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, reason: `payload must be a JSON object, got ${describe(payload)}`, field: 'value' };
  }
  if (exceedsDepth(payload, MAX_JSON_DEPTH)) {
    return { ok: false, reason: `payload nests deeper than ${MAX_JSON_DEPTH} levels`, field: 'value' };
  }

  const parsed = validate(payload as Record<string, unknown>);
  if (!parsed.success) {
    return describeIssues(parsed.error.issues) as Extract<ParseResult, { ok: false }>;
  }
  const event = parsed.data as Validated;

  const key = decodeKey(message.key);
  if (key === null) {
    return { ok: false, reason: `key is missing: it must equal waybillNo "${event.waybillNo}"`, field: 'key' };
  }
  if (key !== event.waybillNo) {
    return { ok: false, reason: `key ${JSON.stringify(key)} differs from waybillNo "${event.waybillNo}"`, field: 'key' };
  }

  const now = new Date(message.now).getTime();
  const occurredAt = Date.parse(event.occurredAt);
  if (occurredAt - now > MAX_FUTURE_MS) {
    return {
      ok: false,
      reason: `occurredAt: ${event.occurredAt} is more than 7 days after the processing time ${new Date(now).toISOString()}`,
      field: 'occurredAt',
    };
  }
  return { ok: true, value: event };
}

function decodeKey(key: RawInputMessage['key']): string | null {
  if (key === null || key === undefined) {
    return null;
  }
  if (typeof key === 'string') {
    return key;
  }
  try {
    return utf8.decode(key);
  } catch {
    return '<binary key>';
  }
}

/** Iterative, so a hostile 200,000-level array cannot overflow the stack here. */
function exceedsDepth(root: object, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) {
      return true;
    }
    for (const child of Object.values(node as object)) {
      if (typeof child === 'object' && child !== null) {
        stack.push([child, depth + 1]);
      }
    }
  }
  return false;
}

/** At most this many problems are listed in one reason (the first is usually the cause). */
const MAX_ISSUES_REPORTED = 3;

function describeIssues(issues: readonly z.core.$ZodIssue[]): ParseResult {
  const described = issues.map(describeIssue);
  const shown = described.slice(0, MAX_ISSUES_REPORTED).map((issue) => issue.text);
  if (described.length > MAX_ISSUES_REPORTED) {
    shown.push(`and ${described.length - MAX_ISSUES_REPORTED} more`);
  }
  return { ok: false, reason: shown.join('; '), field: described[0]?.field || undefined };
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; text: string } {
  const field = formatPath(issue.path);
  const prefix = field ? `${field}: ` : '';
  switch (issue.code) {
    case 'invalid_type':
      return {
        field,
        text: `${prefix}${issue.input === undefined ? 'required' : isDefaultMessage(issue.message) ? `expected ${issue.expected}, got ${describe(issue.input)}` : issue.message}`,
      };
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const input = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator as string];
        const options = (issue as { options?: unknown[] }).options ?? [];
        return {
          field,
          text:
            input === undefined
              ? `${prefix}required`
              : `${prefix}unknown ${field} ${JSON.stringify(input)} (expected one of ${options.join(', ')})`,
        };
      }
      if (field === 'caseRef') {
        return { field, text: `${prefix}must be {"caseNo": "PI-YYYYMM-NNNNNNN"} or {"waybillNo": "…", "class": "<case class>"}` };
      }
      return { field, text: `${prefix}${issue.message}` };
    case 'unrecognized_keys':
      return { field, text: `${prefix}unexpected field(s) ${issue.keys.join(', ')}` };
    default:
      return { field, text: `${prefix}${issue.message}` };
  }
}

function isDefaultMessage(message: string): boolean {
  return message.startsWith('Invalid input');
}

/** `a.b[2].c`, the form DLQ readers search for. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') {
      out += `[${part}]`;
    } else {
      out += out ? `.${String(part)}` : String(part);
    }
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
