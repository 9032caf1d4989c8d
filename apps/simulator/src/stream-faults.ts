import { TOPICS } from '#contracts';
import type { LocalClock } from './clock.js';
import type { PlannedEvent } from './journey.js';
import type { Rng } from './prng.js';
import type { MalformedKind, StreamFaults } from './truth.js';
import type { ExceptionEvent, InputRole, WireEvent } from './wire.js';

/**
 * What a real stream does to the day's events: redeliveries (duplicates), cross-topic reordering, late
 * uploads and the odd broken message. Each fault is drawn from its own random stream and recorded for the
 * ground truth; nothing valid is removed.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export interface StreamFaultOptions {
  /** Share of valid events sent twice (same eventId). */
  duplicateRate: number;
  /**
   * Share of registrations and replies that overtake the scan before them on the stream (the scan is uploaded
   * late), and of waybills whose PICKUP is uploaded after their first hub scan.
   */
  outOfOrderRate: number;
  /** Share of registrations that reach the stream hours after their event time. */
  lateRate: number;
  /** Number of malformed messages, spread over the five kinds. */
  malformed: number;
}

/** A message that must be rejected: `value` is a raw string for invalid JSON, else a broken event object. */
export interface MalformedMessage {
  role: InputRole;
  key: string;
  value: string | Record<string, unknown>;
  emitAt: number;
  seq: number;
  kind: MalformedKind;
  /** The broken copy's own eventId (invisible in a truncated JSON text). */
  eventId: string;
  basedOnEventId: string;
}

export const MALFORMED_KINDS: readonly MalformedKind[] = ['INVALID_JSON', 'MISSING_FIELD', 'UNKNOWN_REASON_CODE', 'KEY_MISMATCH', 'TIME_WITHOUT_OFFSET'];
const DROPPABLE_FIELDS = ['occurredAt', 'siteCode', 'schemaVersion'] as const;

export interface FaultedStream {
  /** Valid messages: every planned event once, plus the duplicates. */
  valid: PlannedEvent[];
  malformed: MalformedMessage[];
  faults: StreamFaults;
}

export function injectStreamFaults(
  waybills: readonly PlannedEvent[][],
  options: StreamFaultOptions,
  rng: Rng,
  clock: LocalClock,
  nextSeq: () => number,
): FaultedStream {
  const faults: StreamFaults = {
    duplicates: { count: 0, eventIds: [] },
    outOfOrder: { count: 0, items: [] },
    late: { count: 0, items: [] },
    malformed: { count: 0, byKind: Object.fromEntries(MALFORMED_KINDS.map((kind) => [kind, 0])) as Record<MalformedKind, number>, items: [] },
  };
  const reorderRng = rng.fork('out-of-order');
  const lateRng = rng.fork('late');
  const moved = new Set<PlannedEvent>();

  for (const events of waybills) {
    for (const item of reorder(events, options.outOfOrderRate, reorderRng)) {
      moved.add(item.early).add(item.late);
      faults.outOfOrder.items.push({
        waybillNo: item.early.event.waybillNo,
        eventId: item.early.event.eventId,
        kind: item.kind,
        aheadOf: item.late.event.eventId,
      });
    }
  }

  for (const events of waybills) {
    for (const planned of events) {
      if (planned.role !== 'exception' || moved.has(planned) || !lateRng.chance(options.lateRate)) continue;
      // Late, but still ahead of the waybill's next reply or action: a reply must find its case registered.
      const nextNonScan = events.find((other) => other.role !== 'scan' && other.role !== 'exception' && other.at > planned.at);
      const latest = Math.min(planned.at + 12 * HOUR, (nextNonScan?.emitAt ?? Number.POSITIVE_INFINITY) - MINUTE);
      const earliest = planned.at + 2 * HOUR;
      if (latest < earliest) continue;
      // A registration that met its deadline mostly arrives after the deadline fired (the case the engine must
      // retract), the others within a few hours.
      const afterDue = planned.meets && lateRng.chance(0.7) ? Math.max(earliest, planned.meets.dueAt + 10 * MINUTE) : null;
      planned.emitAt =
        afterDue !== null && afterDue <= latest
          ? lateRng.int(afterDue, Math.min(latest, afterDue + 3 * HOUR))
          : lateRng.int(earliest, Math.min(latest, planned.at + 8 * HOUR));
      moved.add(planned);
      const item: StreamFaults['late']['items'][number] = {
        waybillNo: planned.event.waybillNo,
        eventId: planned.event.eventId,
        occurredAt: planned.event.occurredAt,
        lateByMinutes: Math.round((planned.emitAt - planned.at) / MINUTE),
      };
      if (planned.meets && planned.emitAt > planned.meets.dueAt) {
        item.expectRetraction = { rule: planned.meets.rule, dueAt: clock.format(planned.meets.dueAt) };
      }
      faults.late.items.push(item);
    }
  }

  const duplicateRng = rng.fork('duplicates');
  const valid: PlannedEvent[] = [];
  for (const events of waybills) {
    for (const planned of events) {
      valid.push(planned);
      if (duplicateRng.chance(options.duplicateRate)) {
        // A redelivery after a producer retry or a consumer restart: same message, seconds to minutes later.
        valid.push({ ...planned, emitAt: planned.emitAt + duplicateRng.int(1, 20 * 60) * SECOND, seq: nextSeq() });
        faults.duplicates.eventIds.push(planned.event.eventId);
      }
    }
  }

  const malformed = makeMalformed(waybills, options.malformed, rng.fork('malformed'), nextSeq);
  for (const message of malformed) {
    faults.malformed.byKind[message.kind] += 1;
    faults.malformed.items.push({
      kind: message.kind,
      topic: TOPICS[message.role],
      key: message.key,
      eventId: message.eventId,
      basedOnEventId: message.basedOnEventId,
    });
  }

  faults.duplicates.count = faults.duplicates.eventIds.length;
  faults.outOfOrder.count = faults.outOfOrder.items.length;
  faults.late.count = faults.late.items.length;
  faults.malformed.count = malformed.length;
  return { valid, malformed, faults };
}

type Reordering = {
  early: PlannedEvent;
  late: PlannedEvent;
  kind: StreamFaults['outOfOrder']['items'][number]['kind'];
};

/**
 * Overtaking on the stream, each chance with probability `rate`. Nothing reaches the stream before it happened,
 * so it is always the earlier event that is held back (a handheld uploading late): the scan before a
 * registration or a reply then arrives after it (other topics, other partitions: consumers see them in any
 * order), and a branch's late PICKUP upload arrives after the first hub scan.
 */
function reorder(events: readonly PlannedEvent[], rate: number, rng: Rng): Reordering[] {
  const pickup = events[0]!;
  const reordered: Reordering[] = [];
  const heldBack = new Set<PlannedEvent>();
  for (const planned of events) {
    if ((planned.role !== 'exception' && planned.role !== 'reply') || !rng.chance(rate)) continue;
    const followed = events.filter((other) => other.role === 'scan' && other !== pickup && other.at <= planned.at).at(-1);
    // A handheld a few hours behind, not days: only scans shortly before the registration or reply are held back.
    if (!followed || heldBack.has(followed) || followed.emitAt >= planned.emitAt || planned.at - followed.at > 3 * HOUR) continue;
    followed.emitAt = planned.emitAt + rng.int(1, 600) * SECOND;
    heldBack.add(followed);
    reordered.push({ early: planned, late: followed, kind: planned.role === 'reply' ? 'REPLY_BEFORE_SCAN' : 'EXCEPTION_BEFORE_SCAN' });
  }
  const firstHubScan = events[1];
  if (firstHubScan?.role === 'scan' && rng.chance(rate)) {
    pickup.emitAt = Math.max(pickup.emitAt, firstHubScan.emitAt) + rng.int(1, 600) * SECOND;
    reordered.push({ early: firstHubScan, late: pickup, kind: 'SCAN_BEFORE_PICKUP' });
  }
  return reordered;
}

function makeMalformed(waybills: readonly PlannedEvent[][], count: number, rng: Rng, nextSeq: () => number): MalformedMessage[] {
  const messages: MalformedMessage[] = [];
  if (waybills.length === 0) return messages;
  const registrations = waybills.flat().filter((planned) => planned.role === 'exception');
  for (let n = 0; n < count; n++) {
    const kind = MALFORMED_KINDS[n % MALFORMED_KINDS.length]!;
    const pool = kind === 'UNKNOWN_REASON_CODE' && registrations.length > 0 ? registrations : rng.pick(waybills);
    const base = rng.pick(pool);
    // A fresh eventId: the broken copy must not shadow the valid original as a "duplicate".
    const event: Record<string, unknown> = { ...(base.event as unknown as Record<string, unknown>), eventId: `${base.event.eventId}-X${n + 1}` };
    let key = base.event.waybillNo;
    let value: string | Record<string, unknown> = event;
    switch (kind) {
      case 'INVALID_JSON': {
        const text = JSON.stringify(event);
        value = text.slice(0, Math.max(10, Math.floor(text.length * (0.3 + rng.next() * 0.5))));
        break;
      }
      case 'MISSING_FIELD':
        delete event[DROPPABLE_FIELDS[Math.floor(n / MALFORMED_KINDS.length) % DROPPABLE_FIELDS.length]!];
        break;
      case 'UNKNOWN_REASON_CODE':
        if (base.role === 'exception') {
          (event as unknown as ExceptionEvent).reasonCode = rng.pick(['PARCEL_ABDUCTED', 'DAMAGED_BY_ALIENS', 'MISSING_CAT', 'UNKNOWN']);
        } else {
          // No registrations in the day: a failed delivery scan with an invented reason is just as invalid.
          Object.assign(event, { scanType: 'DELIVERY_FAILED', reasonCode: 'TOO_MUCH_SNOW', attempt: 1 });
        }
        break;
      case 'KEY_MISMATCH': {
        const other = rng.pick(waybills)[0]!.event.waybillNo;
        key = other !== key ? other : `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
        break;
      }
      case 'TIME_WITHOUT_OFFSET':
        event.occurredAt = String((base.event as WireEvent).occurredAt).slice(0, 19);
        break;
    }
    messages.push({
      role: base.role,
      key,
      value,
      emitAt: base.emitAt + rng.int(0, 600) * SECOND,
      seq: nextSeq(),
      kind,
      eventId: String(event.eventId),
      basedOnEventId: base.event.eventId,
    });
  }
  return messages;
}
