import { Rng } from '../../apps/simulator/src/prng.js';

/**
 * Mutations of valid input events that are invalid by construction (each breaks a rule of events.md or of the
 * decisions documented in docs/RELIABILITY.md), for the bad-input fuzz test. Every mutation names the
 * reason the DLQ record must give, so the test checks not only that a message was rejected but why.
 */

export type Role = 'scan' | 'exception' | 'reply' | 'action';

export interface BaseEvent {
  role: Role;
  key: string;
  /** The valid wire event (never modified: mutations work on a copy). */
  event: Record<string, unknown>;
}

export interface Mutated {
  role: Role;
  key: string | Buffer | null;
  value: string | Buffer | null;
}

export interface Mutation {
  name: string;
  /** What the DLQ reason must say. */
  reason: RegExp;
  /** Relative frequency (the oversize one is rare: each message is over 256 KiB). */
  weight: number;
  appliesTo?: (base: BaseEvent) => boolean;
  apply: (base: BaseEvent, rng: Rng, context: MutationContext) => Mutated;
}

export interface MutationContext {
  /** Processing time, for the "more than 7 days ahead" mutation. */
  now: Date;
  /** Other waybills of the day, for key/waybillNo mismatches. */
  waybills: readonly string[];
}

const COMMON_REQUIRED = ['eventId', 'schemaVersion', 'waybillNo', 'occurredAt', 'siteCode', 'siteType'];
const ROLE_REQUIRED: Record<Role, string[]> = {
  scan: ['scanType'],
  exception: ['reasonCode'],
  reply: ['caseRef', 'instruction', 'repliedBy'],
  action: ['caseRef', 'action', 'actor'],
};

const copy = (base: BaseEvent) => structuredClone(base.event);
const json = (value: unknown) => JSON.stringify(value);
const keep = (base: BaseEvent, event: Record<string, unknown>): Mutated => ({ role: base.role, key: base.key, value: json(event) });
const isScan = (type: string) => (base: BaseEvent) => base.role === 'scan' && base.event.scanType === type;

function randomBytes(rng: Rng, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = rng.int(0, 255);
  return bytes;
}

/** An ISO time with the +08:00 offset, `days` after `now`. */
function shanghaiTime(now: Date, days: number): string {
  const local = new Date(now.getTime() + days * 86_400_000 + 8 * 3_600_000);
  return `${local.toISOString().slice(0, 19)}+08:00`;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'missing field',
    reason: /: required\b/,
    weight: 3,
    apply: (base, rng) => {
      const event = copy(base);
      delete event[rng.pick([...COMMON_REQUIRED, ...ROLE_REQUIRED[base.role]])];
      return keep(base, event);
    },
  },
  {
    name: 'wrong type',
    reason: /must be a|unsupported schemaVersion|is not one of|expected/,
    weight: 3,
    apply: (base, rng) => {
      const event = copy(base);
      const [field, value] = rng.pick<[string, unknown]>([
        ['eventId', 12345],
        ['schemaVersion', '1'],
        ['waybillNo', 12345678901],
        ['occurredAt', 1_763_000_000_000],
        ['siteCode', ['B0101']],
        ['siteType', { type: 'BRANCH' }],
        ['operatorId', 42],
        ['eventId', true],
      ]);
      event[field] = value;
      return keep(base, event);
    },
  },
  {
    name: 'null for a required field',
    reason: /must be a|unsupported schemaVersion|is not one of|required/,
    weight: 1,
    apply: (base, rng) => {
      const event = copy(base);
      event[rng.pick(COMMON_REQUIRED)] = null;
      return keep(base, event);
    },
  },
  {
    name: 'negative or zero attempt',
    reason: /^attempt: must be a whole number ≥ 1$/,
    weight: 2,
    appliesTo: isScan('DELIVERY_FAILED'),
    apply: (base, rng) => keep(base, { ...copy(base), attempt: -rng.int(0, 5) }),
  },
  {
    name: 'out-of-range number',
    reason: /^(pieces: must be a whole number ≥ 1|weightKg: must be more than 0|pieces: must be at most 9999)$/,
    weight: 2,
    appliesTo: isScan('PICKUP'),
    apply: (base, rng) =>
      keep(base, { ...copy(base), ...rng.pick([{ pieces: 0 }, { pieces: -3 }, { weightKg: -1.5 }, { weightKg: 0 }, { pieces: 10_000 }]) }),
  },
  {
    name: 'eventId too long',
    reason: /^eventId: must be at most 64 characters$/,
    weight: 1,
    apply: (base, rng) => keep(base, { ...copy(base), eventId: 'e'.repeat(rng.int(65, 400)) }),
  },
  {
    name: 'malformed waybillNo',
    reason: /^waybillNo: must match \[A-Z0-9\]\{8,20\}(;|$)/,
    weight: 1,
    apply: (base, rng) => {
      const waybillNo = rng.pick([base.key.toLowerCase(), base.key.slice(0, 5), `${base.key}-X`, `${base.key}${'9'.repeat(20)}`]);
      return { role: base.role, key: waybillNo, value: json({ ...copy(base), waybillNo }) };
    },
  },
  {
    name: 'unknown code',
    reason: /unknown scanType|unknown code|is not one of/,
    weight: 3,
    apply: (base, rng) => {
      const event = copy(base);
      const code = `X_${rng.hex(6).toUpperCase()}`;
      const field = { scan: 'scanType', exception: 'reasonCode', reply: 'instruction', action: 'action' }[base.role];
      event[rng.chance(0.8) ? field : 'siteType'] = code;
      return keep(base, event);
    },
  },
  {
    name: 'unknown schema version',
    reason: /^schemaVersion: unsupported schemaVersion (0|2|99|1\.5)/,
    weight: 1,
    apply: (base, rng) => keep(base, { ...copy(base), schemaVersion: rng.pick([0, 2, 99, 1.5]) }),
  },
  {
    name: 'key differs from waybillNo',
    reason: /^key "[A-Z0-9]+" differs from waybillNo "[A-Z0-9]+"$/,
    weight: 2,
    apply: (base, rng, context) => {
      let other = rng.pick(context.waybills);
      if (other === base.key) other = `${base.key.slice(0, -1)}${base.key.endsWith('0') ? '1' : '0'}`;
      return { role: base.role, key: other, value: json(base.event) };
    },
  },
  {
    name: 'key missing',
    reason: /^key is missing/,
    weight: 1,
    apply: (base) => ({ role: base.role, key: null, value: json(base.event) }),
  },
  {
    name: 'binary key',
    reason: /^key .* differs from waybillNo|^key "<binary key>"|^key <binary key>/,
    weight: 1,
    apply: (base, rng) => ({ role: base.role, key: Buffer.concat([Buffer.from([0]), randomBytes(rng, rng.int(1, 16))]), value: json(base.event) }),
  },
  {
    name: 'truncated JSON',
    reason: /^invalid JSON: /,
    weight: 3,
    apply: (base, rng) => {
      const text = json(base.event);
      return { role: base.role, key: base.key, value: text.slice(0, rng.int(0, text.length - 1)) };
    },
  },
  {
    name: 'byte garbage',
    reason: /^(payload is not valid UTF-8|invalid JSON: .*|payload must be a JSON object, got .*)$/s,
    weight: 3,
    apply: (base, rng) => {
      const bytes = randomBytes(rng, rng.int(1, 300));
      // Never the start of a JSON object: `{` or JSON whitespace.
      while ([0x7b, 0x20, 0x09, 0x0a, 0x0d].includes(bytes[0]!)) bytes[0] = rng.int(0, 255);
      return { role: base.role, key: base.key, value: bytes };
    },
  },
  {
    name: 'payload over 256 KiB',
    reason: /^payload is \d+ bytes, over the 256 KiB limit$/,
    weight: 0.3,
    apply: (base, rng) => keep(base, { ...copy(base), padding: 'x'.repeat(256 * 1024 + rng.int(0, 4096)) }),
  },
  {
    name: 'more than 7 days ahead',
    reason: /^occurredAt: .* is more than 7 days after the processing time /,
    weight: 2,
    apply: (base, rng, context) => keep(base, { ...copy(base), occurredAt: shanghaiTime(context.now, rng.int(9, 3000)) }),
  },
  {
    name: 'clock never set (before 2000)',
    reason: /^occurredAt: .* is before 2000-01-01T00:00:00Z/,
    weight: 2,
    apply: (base, rng) =>
      keep(base, { ...copy(base), occurredAt: rng.pick(['1970-01-01T08:00:00+08:00', '1970-01-01T00:00:00Z', '1999-12-31T23:59:59+08:00', '0001-01-01T00:00:00+08:00', '0000-01-01T08:00:00+08:00']) }),
  },
  {
    name: 'time without offset',
    reason: /^occurredAt: timestamp must carry an offset$/,
    weight: 1,
    apply: (base) => keep(base, { ...copy(base), occurredAt: String(base.event.occurredAt).slice(0, 19) }),
  },
  {
    name: 'not a timestamp',
    reason: /^occurredAt: ".*" is not (an ISO-8601 timestamp with offset|a valid date and time)/,
    weight: 1,
    apply: (base, rng) =>
      keep(base, { ...copy(base), occurredAt: rng.pick(['yesterday', '2026-02-30T09:00:00+08:00', '2026-13-01T00:00:00Z', '23/11/2026 09:30', '2026-11-23T25:00:00+08:00']) }),
  },
  {
    name: 'duplicated JSON key',
    reason: /^duplicated key "[a-zA-Z]+"/,
    weight: 2,
    apply: (base, rng) => {
      const field = rng.pick(['eventId', 'waybillNo', 'occurredAt', 'siteCode', 'schemaVersion']);
      // A first copy of the field with another value; JSON.parse would silently keep the second.
      const first = field === 'schemaVersion' ? 1 : field === 'eventId' ? `dup-${rng.hex(8)}` : base.event[field];
      return { role: base.role, key: base.key, value: `{${JSON.stringify(field)}:${JSON.stringify(first)},${json(base.event).slice(1)}` };
    },
  },
  {
    name: 'deeply nested JSON',
    reason: /^payload nests deeper than 16 levels$/,
    weight: 1,
    apply: (base, rng) => keep(base, { ...copy(base), extension: nested(rng.int(17, 2000)) }),
  },
  {
    name: 'NUL character in a text field',
    reason: /^operatorId: contains U\+0000/,
    weight: 1,
    apply: (base, rng) => keep(base, { ...copy(base), operatorId: `op${'\u0000'.repeat(rng.int(1, 3))}${rng.digits(3)}` }),
  },
  {
    name: 'unpaired surrogate in a text field',
    reason: /^operatorId: contains an unpaired UTF-16 surrogate/,
    weight: 1,
    apply: (base, rng) => keep(base, { ...copy(base), operatorId: `op${rng.pick(['\ud800', '\udfff', '\udbff'])}${rng.digits(3)}` }),
  },
  {
    name: 'not a JSON object',
    reason: /^payload must be a JSON object, got (an array|a string|number|boolean|null)/,
    weight: 1,
    apply: (base, rng) => ({ role: base.role, key: base.key, value: rng.pick([json([base.event]), json(json(base.event)), '42', 'true', 'null']) }),
  },
  {
    name: 'tombstone (null value)',
    reason: /^empty message value \(tombstone\)/,
    weight: 1,
    apply: (base) => ({ role: base.role, key: base.key, value: null }),
  },
  {
    name: 'event on the wrong topic',
    reason: /: required\b/,
    weight: 1,
    apply: (base) => {
      const wrong: Record<Role, Role> = { scan: 'reply', exception: 'scan', reply: 'action', action: 'scan' };
      return { role: wrong[base.role], key: base.key, value: json(base.event) };
    },
  },
  {
    name: 'huge string',
    reason: /^(operatorId: must be at most 64 characters|siteCode: must match .*)$/,
    weight: 1,
    apply: (base, rng) => keep(base, { ...copy(base), [rng.pick(['operatorId', 'siteCode'])]: 'A'.repeat(rng.int(65, 100_000)) }),
  },
];

export interface FuzzCase extends Mutated {
  mutation: string;
  reason: RegExp;
}

/**
 * `count` invalid messages, deterministic for a seed: a kind is drawn by weight, then a valid event it applies to
 * (so the rare event types still get their share of the mutations that only fit them).
 */
export function mutate(bases: readonly BaseEvent[], count: number, seed: number, context: MutationContext): FuzzCase[] {
  const rng = new Rng(seed).fork('mutations');
  const candidates = new Map(MUTATIONS.map((m) => [m, m.appliesTo ? bases.filter(m.appliesTo) : bases] as const));
  const usable = MUTATIONS.filter((m) => candidates.get(m)!.length > 0);
  const out: FuzzCase[] = [];
  while (out.length < count) {
    const mutation = rng.weighted(usable.map((m) => [m, m.weight] as const));
    const base = rng.pick(candidates.get(mutation)!);
    out.push({ ...mutation.apply(base, rng, context), mutation: mutation.name, reason: mutation.reason });
  }
  return out;
}
