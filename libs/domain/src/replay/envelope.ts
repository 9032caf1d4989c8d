import { INPUT_KINDS, TOPICS, type InputKind } from '#contracts';

/** One NDJSON line of a replay file: a Kafka message as it was (or would be) consumed. */
export interface ReplayEnvelope {
  topic?: string;
  /** The message key; when absent the value's `waybillNo` is used, as a producer keys by it. */
  key?: string | null;
  /** The event, as a JSON object or as the raw message text. */
  value?: unknown;
}

export type EnvelopeReading =
  | { ok: true; kind: InputKind; key: string | null; value: string }
  | { ok: false; reason: string };

/**
 * The input kind of a topic name. Deployments may prefix the default names (TOPIC_PREFIX), and a replay file
 * keeps the topics it was captured from, so the default name is matched as a suffix.
 */
export function kindOfTopic(topic: string): InputKind | null {
  return INPUT_KINDS.find((kind) => topic.endsWith(TOPICS[kind])) ?? null;
}

/** The kind of a bare event, from the field only that kind has. */
export function inferKind(event: Record<string, unknown>): InputKind {
  if ('scanType' in event) return 'scan';
  if ('instruction' in event) return 'reply';
  if ('action' in event) return 'action';
  return 'exception';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function waybillNoOf(value: unknown): string | null {
  let event = value;
  if (typeof value === 'string') {
    try {
      event = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return isRecord(event) && typeof event.waybillNo === 'string' ? event.waybillNo : null;
}

/**
 * Reads one replay line (text or already-parsed JSON) into the message that `parseInputMessage` validates:
 * kind, key and the value as raw text. Only the envelope is judged here; the event itself is not.
 * A line without `topic` is a bare event whose kind is inferred from its fields.
 */
export function readEnvelope(line: string | ReplayEnvelope): EnvelopeReading {
  let envelope: unknown = line;
  if (typeof line === 'string') {
    try {
      envelope = JSON.parse(line);
    } catch {
      return { ok: false, reason: 'invalid envelope: not JSON' };
    }
  }
  if (!isRecord(envelope)) {
    return { ok: false, reason: 'invalid envelope: not a JSON object' };
  }
  if (!('topic' in envelope)) {
    return { ok: true, kind: inferKind(envelope), key: waybillNoOf(envelope), value: JSON.stringify(envelope) };
  }
  const { topic, key, value } = envelope;
  if (typeof topic !== 'string') {
    return { ok: false, reason: 'invalid envelope: topic must be a string' };
  }
  const kind = kindOfTopic(topic);
  if (kind === null) {
    return { ok: false, reason: `invalid envelope: not an input topic "${topic}"` };
  }
  if (value === undefined || value === null) {
    return { ok: false, reason: 'invalid envelope: no value' };
  }
  if (key !== undefined && key !== null && typeof key !== 'string') {
    return { ok: false, reason: 'invalid envelope: key must be a string' };
  }
  return {
    ok: true,
    kind,
    key: typeof key === 'string' ? key : waybillNoOf(value),
    value: typeof value === 'string' ? value : JSON.stringify(value),
  };
}
