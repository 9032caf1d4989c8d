import { parseInputMessage, type InputEvent, type InputKind } from '#contracts';
import { decide } from '../engine/index.js';
import type { Decision, EngineInput, IsoTime, WaybillState } from '../engine/types.js';
import { policyFingerprint } from '../policy/fingerprint.js';
import type { Policy } from '../policy/schema.js';
import { toDate, type TimeInput } from '../time/instant.js';
import { assignCaseNumbers, createCaseNumberSequence } from './case-numbers.js';
import { readEnvelope, type ReplayEnvelope } from './envelope.js';
import {
  toReplayCase,
  toReplayDeadline,
  type ReplayCase,
  type ReplayDeadline,
  type ReplayLiability,
  type ReplayNotification,
  type ReplayResult,
} from './result.js';
import { TimerQueue, type ArmedTimer } from './timer-queue.js';

export type DecideFn = (state: WaybillState | null, input: EngineInput, policy: Policy) => Decision;
export type ParseInputFn = (message: { kind: InputKind; key: string | null; value: string; now: Date }) =>
  | { ok: true; event: InputEvent }
  | { ok: false; reason: string; field?: string };

export interface ReplayOptions {
  /** The engine; defaults to `decide`. Injected by tests of the runner's own mechanics. */
  decide?: DecideFn;
  /** The input validator; defaults to `parseInputMessage` of #contracts. */
  parse?: ParseInputFn;
}

export type FeedOutcome =
  | { status: 'applied'; waybillNo: string; eventId: string }
  | { status: 'rejected'; reason: string }
  | { status: 'blank' };

export interface Replay {
  /** Validates and applies one message (an NDJSON line or a parsed envelope), firing the timers it reveals as due. */
  feed(message: string | ReplayEnvelope): FeedOutcome;
  /** Runs the clock to `time`: fires every pending timer due at or before it, each at its own due time. */
  advanceTo(time: TimeInput): void;
  /** The event-time clock: the latest event time seen (or time advanced to); null before the first event. */
  readonly watermark: IsoTime | null;
  /** A snapshot of the outcome so far (the replay can go on being fed afterwards). */
  result(): ReplayResult;
}

/**
 * Reasons name the offending values (`key "ZT1" differs from waybillNo "ZT2"`); counting them verbatim would give
 * one bucket per message. Quoted values and timestamps are blanked so that equal causes count together.
 */
export function reasonCategory(reason: string): string {
  return reason
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>');
}

// A far-future "now" for the first message: with no watermark yet there is nothing to judge "ahead of" by.
const NO_WATERMARK_YET = new Date(8.64e15);

/**
 * An in-memory, deterministic replay of the pipeline: one WaybillState per waybill, `decide` per input, and
 * an event-time clock instead of the wall clock.
 *
 * Clock: the watermark is the latest `occurredAt` seen. When an event moves it forward, every pending timer
 * due strictly before the new watermark fires first (`firedAt` = the new watermark), in due order; a timer due
 * exactly at the event's time fires after it, so an action taken at the very instant of a deadline counts as
 * on time rather than as a miss followed by a retraction. A timer an event arms already behind the clock fires
 * right after that event. Late events (before the watermark) do not move the clock. Invalid messages do not
 * move it either; the 7-days-ahead check of events.md is made against the watermark (the first message has
 * none to be judged by). Case numbers are drawn as cases open, per month, from 1.
 */
export function createReplay(policy: Policy, options: ReplayOptions = {}): Replay {
  const decideFn = options.decide ?? decide;
  const parse: ParseInputFn = options.parse ?? parseInputMessage;
  const fingerprint = policyFingerprint(policy);

  const states = new Map<string, WaybillState>();
  const timers = new TimerQueue();
  const nextSerial = createCaseNumberSequence();
  /** caseId → waybill, in order of numbering (= order of opening). */
  const openingOrder = new Map<string, string>();
  const notifications = new Map<string, ReplayNotification>();
  const rejected = new Map<string, number>();
  const ignored = new Map<string, number>();
  const effectCounts = new Map<string, number>();
  /** Fired (waybill, deadline, dueAt) triples: an engine re-arming a timer at the time it just fired would loop. */
  const fired = new Set<string>();
  const counts = { messages: 0, events: 0, rejected: 0, timersFired: 0 };
  let watermarkMs: number | null = null;

  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  function apply(waybillNo: string, input: EngineInput): void {
    let decision: Decision;
    try {
      decision = decideFn(states.get(waybillNo) ?? null, input, policy);
    } catch (error) {
      const what = input.kind === 'event' ? `event ${input.event.eventId}` : input.kind === 'timer' ? `timer ${input.deadlineId}` : input.kind;
      throw new Error(`engine failed on ${what} of waybill ${waybillNo}: ${(error as Error).message}`, { cause: error });
    }
    const state = assignCaseNumbers(decision.state, nextSerial);
    for (const c of state.cases) {
      if (!openingOrder.has(c.id)) openingOrder.set(c.id, waybillNo);
    }
    states.set(waybillNo, state);

    for (const effect of decision.effects) {
      bump(effectCounts, effect.type);
      switch (effect.type) {
        case 'DeadlineArmed':
        case 'DeadlineMoved':
          timers.arm({ waybillNo, deadlineId: effect.deadline.id, caseId: effect.deadline.caseId, dueAt: effect.deadline.dueAt });
          break;
        case 'DeadlineMet':
        case 'DeadlineMissed':
        case 'DeadlineCancelled':
        case 'DeadlineRetracted':
          timers.cancel(waybillNo, effect.deadline.id);
          break;
        case 'NotificationIntended':
          // Identity is deterministic: a repeat is the same notification, which a person gets at most once.
          if (!notifications.has(effect.notification.id)) {
            notifications.set(effect.notification.id, { ...effect.notification, waybillNo, caseNo: null });
          }
          break;
        case 'Rejected':
          counts.rejected++;
          bump(rejected, reasonCategory(effect.reason));
          break;
        case 'Ignored':
          bump(ignored, effect.reason);
          break;
        default:
          break;
      }
    }
  }

  function fire(timer: ArmedTimer, firedAtMs: number): void {
    const identity = `${timer.waybillNo}\u0000${timer.deadlineId}\u0000${timer.dueAt}`;
    if (fired.has(identity)) {
      throw new Error(`engine re-armed timer ${timer.deadlineId} of waybill ${timer.waybillNo} at ${timer.dueAt} after it fired`);
    }
    fired.add(identity);
    counts.timersFired++;
    apply(timer.waybillNo, {
      kind: 'timer',
      deadlineId: timer.deadlineId,
      caseId: timer.caseId,
      dueAt: timer.dueAt,
      firedAt: new Date(firedAtMs).toISOString(),
    });
  }

  function reject(reason: string): FeedOutcome {
    counts.rejected++;
    bump(rejected, reasonCategory(reason));
    return { status: 'rejected', reason };
  }

  function feed(message: string | ReplayEnvelope): FeedOutcome {
    if (typeof message === 'string' && message.trim() === '') {
      return { status: 'blank' };
    }
    counts.messages++;
    const envelope = readEnvelope(message);
    if (!envelope.ok) {
      return reject(envelope.reason);
    }
    const now = watermarkMs === null ? NO_WATERMARK_YET : new Date(watermarkMs);
    const parsed = parse({ kind: envelope.kind, key: envelope.key, value: envelope.value, now });
    if (!parsed.ok) {
      return reject(parsed.reason);
    }
    const event = parsed.event;
    const occurredMs = toDate(event.occurredAt).getTime();
    if (watermarkMs === null || occurredMs > watermarkMs) {
      watermarkMs = occurredMs;
      fireDueBeforeWatermark();
    }
    counts.events++;
    apply(event.waybillNo, { kind: 'event', event });
    // An event can arm a deadline already behind the clock (a late registration): it fires at once, as the
    // deadline service fires a job whose delay is already over.
    fireDueBeforeWatermark();
    return { status: 'applied', waybillNo: event.waybillNo, eventId: event.eventId };
  }

  function fireDueBeforeWatermark(): void {
    const nowMs = watermarkMs!;
    for (let timer = timers.popDueBy(nowMs, false); timer; timer = timers.popDueBy(nowMs, false)) {
      fire(timer, nowMs);
    }
  }

  function advanceTo(time: TimeInput): void {
    const limitMs = toDate(time).getTime();
    for (let timer = timers.popDueBy(limitMs, true); timer; timer = timers.popDueBy(limitMs, true)) {
      // The clock runs through the timers one by one: each fires at its due time (or at once if overdue).
      const firedAtMs = Math.max(watermarkMs ?? -Infinity, Date.parse(timer.dueAt));
      watermarkMs = firedAtMs;
      fire(timer, firedAtMs);
    }
    if (watermarkMs === null || limitMs > watermarkMs) watermarkMs = limitMs;
  }

  function result(): ReplayResult {
    const caseNoById = new Map<string, string | null>();
    const cases: ReplayCase[] = [];
    const deadlines: ReplayDeadline[] = [];
    const liabilities: ReplayLiability[] = [];
    for (const [caseId, waybillNo] of openingOrder) {
      const c = states.get(waybillNo)?.cases.find((candidate) => candidate.id === caseId);
      if (!c) continue; // a case the engine later dropped from the state: nothing left to report
      caseNoById.set(c.id, c.caseNo);
      cases.push(toReplayCase(c));
      for (const deadline of c.deadlines) deadlines.push(toReplayDeadline(deadline, waybillNo, c.caseNo));
      for (const record of c.liabilities) liabilities.push({ ...record, waybillNo, caseNo: c.caseNo });
    }
    for (const [waybillNo, state] of states) {
      for (const timer of state.timers) deadlines.push(toReplayDeadline(timer, waybillNo, null));
    }
    return {
      policy: { version: policy.version, fingerprint },
      watermark: watermarkMs === null ? null : new Date(watermarkMs).toISOString(),
      counts: { ...counts, waybills: states.size },
      cases,
      deadlines,
      liabilities,
      notifications: [...notifications.values()].map((n) => ({ ...n, caseNo: caseNoById.get(n.caseId) ?? null })),
      rejected: Object.fromEntries(rejected),
      ignored: Object.fromEntries(ignored),
      effects: Object.fromEntries(effectCounts),
    };
  }

  return {
    feed,
    advanceTo,
    get watermark() {
      return watermarkMs === null ? null : new Date(watermarkMs).toISOString();
    },
    result,
  };
}

/** Replays a whole sequence of messages in order and, with `until`, runs the clock on to that time. */
export function replayAll(
  messages: Iterable<string | ReplayEnvelope>,
  policy: Policy,
  options: ReplayOptions & { until?: TimeInput } = {},
): ReplayResult {
  const replay = createReplay(policy, options);
  for (const message of messages) replay.feed(message);
  if (options.until !== undefined) replay.advanceTo(options.until);
  return replay.result();
}
