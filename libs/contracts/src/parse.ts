import { visit } from 'jsonc-parser';
import type { z } from 'zod';
import { inputEventSchemas, type InputEvent } from './input-events.js';
import type { InputKind } from './topics.js';
import { hqReviewMessageSchema, type HqReviewMessage } from './hq-review.js';
import { printableReason, UNPAIRED_SURROGATE } from './printable.js';
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
 * for the DLQ, the reason printable (control characters escaped, at most MAX_REASON_LENGTH characters). Checks, in
 * order: size, UTF-8, JSON, nesting depth, duplicated keys, schema (fields, codes, cross-field rules), text that
 * PostgreSQL can store, key = waybillNo, occurredAt not more than 7 days ahead of `now`.
 *
 * Duplicated JSON keys are rejected: JSON.parse silently keeps the last value (RFC 8259 leaves it to the parser,
 * and other parsers keep the first), so which value the sender meant is ambiguous.
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
  const result = checkKeyedMessage(message, validate);
  if (result.ok) return result;
  // A duplicated key's name goes into `field`: it may hold anything a JSON string can.
  return { ...result, reason: printableReason(result.reason), ...(result.field === undefined ? {} : { field: printableReason(result.field) }) };
}

function checkKeyedMessage(
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
  const tree = inspectTree(payload, MAX_JSON_DEPTH);
  if (tree.tooDeep) {
    return { ok: false, reason: `payload nests deeper than ${MAX_JSON_DEPTH} levels`, field: 'value' };
  }
  // Fast path: every key of the text ends in `"` + whitespace + `:`, and such a sequence outside a key is rare
  // (a string value starting with ':'), so as many of them as parsed keys proves there is no duplicate.
  if (countKeyLikeTokens(json) > tree.keys) {
    const duplicate = findDuplicateKey(json);
    if (duplicate) {
      return {
        ok: false,
        reason: `duplicated key ${JSON.stringify(duplicate.key)}${duplicate.path ? ` in ${duplicate.path}` : ''}: a JSON parser keeps only one of the values, so which one the sender meant is ambiguous`,
        field: duplicate.path ? `${duplicate.path}.${duplicate.key}` : duplicate.key,
      };
    }
  }

  const parsed = validate(payload as Record<string, unknown>);
  if (!parsed.success) {
    return describeIssues(parsed.error.issues) as Extract<ParseResult, { ok: false }>;
  }
  const event = parsed.data as Validated;
  // From bytes, only escapes (`\u0000`, `\ud800`) can bring NUL or an unpaired surrogate into a string: a raw control
  // character is invalid JSON and the UTF-8 decoder is strict. Ordinary events have no `\u` and skip the walk.
  if (typeof value === 'string' || json.includes('\\u')) {
    const unstorable = findUnstorableText(event);
    if (unstorable) {
      return { ok: false, reason: `${unstorable.field}: ${unstorable.problem}`, field: unstorable.field };
    }
  }

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

/**
 * Nesting depth (over `maxDepth` or not) and the number of object keys of the parsed payload. Iterative, so a
 * hostile 200,000-level array cannot overflow the stack here.
 */
function inspectTree(root: object, maxDepth: number): { tooDeep: boolean; keys: number } {
  const stack: [object, number][] = [[root, 1]];
  let keys = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) {
      return { tooDeep: true, keys };
    }
    const children = Object.values(node);
    if (!Array.isArray(node)) {
      keys += children.length;
    }
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        stack.push([child, depth + 1]);
      }
    }
  }
  return { tooDeep: false, keys };
}

const KEY_LIKE = /"[\t\n\r ]*:/g;

function countKeyLikeTokens(json: string): number {
  let count = 0;
  KEY_LIKE.lastIndex = 0;
  while (KEY_LIKE.exec(json) !== null) count++;
  return count;
}

/** The first key that appears twice in one object of the (already valid) JSON text, with its object's path. */
function findDuplicateKey(json: string): { key: string; path: string } | null {
  const objects: Set<string>[] = [];
  let found: { key: string; path: string } | null = null;
  visit(json, {
    onObjectBegin: () => void objects.push(new Set()),
    onObjectEnd: () => void objects.pop(),
    onObjectProperty: (key, _offset, _length, _line, _column, pathSupplier) => {
      const seen = objects[objects.length - 1]!;
      if (seen.has(key) && !found) {
        found = { key, path: formatPath(pathSupplier()) };
      }
      seen.add(key);
    },
  });
  return found;
}

/**
 * A string of the validated event that no text column can hold: PostgreSQL refuses U+0000 in text and jsonb, and an
 * unpaired UTF-16 surrogate is not a character (jsonb refuses it too). Accepting one would fail the batch's
 * transaction on every retry and stop the partition, so the event is rejected here, naming the field.
 */
function findUnstorableText(root: unknown): { field: string; problem: string } | null {
  const stack: [unknown, PropertyKey[]][] = [[root, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) {
        return { field: formatPath(path), problem: 'contains U+0000 (NUL), which no text of an event may hold' };
      }
      const surrogate = UNPAIRED_SURROGATE.exec(node);
      if (surrogate) {
        return { field: formatPath(path), problem: `contains an unpaired UTF-16 surrogate (\\u${surrogate[0].charCodeAt(0).toString(16)}), which is not a character` };
      }
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) stack.push([child, [...path, Array.isArray(node) ? Number(key) : key]]);
    }
  }
  return null;
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
      if (issue.input === undefined) {
        return { field, text: `${prefix}required` };
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
