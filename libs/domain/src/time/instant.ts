import { DateTime } from 'luxon';
import { zoneFor } from './zone.js';

/** An instant as the time helpers accept it: a Date, or an ISO-8601 string that carries its offset. */
export type TimeInput = Date | string;

// An ISO string without 'Z' or '±hh:mm' would be read in the host's zone: a hidden dependency on where the
// process runs. The contract requires offsets (events.md), so the helpers refuse such strings.
const EXPLICIT_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** The instant `t` seen in `zone`. Throws on an unparsable time, an unknown zone or an offset-less ISO string. */
export function inZone(t: TimeInput, zone: string): DateTime<true> {
  const dt = DateTime.fromMillis(toEpochMs(t), { zone: zoneFor(zone) });
  if (!dt.isValid) {
    throw new RangeError(`invalid time ${String(t)} in zone "${zone}": ${dt.invalidExplanation ?? dt.invalidReason}`);
  }
  return dt;
}

// The common shape of event times (`2026-11-23T09:30:00+08:00`, `…00.000Z`): range-checked here, then read
// natively (Date.parse alone rolls 30 February or 24:00 over into the next day). Any other ISO form (week or
// ordinal dates) goes through luxon's full parser.
const COMMON_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i;

function toEpochMs(t: TimeInput): number {
  if (t instanceof Date) {
    const ms = t.getTime();
    if (Number.isNaN(ms)) throw new RangeError('invalid time: Invalid Date');
    return ms;
  }
  if (!EXPLICIT_OFFSET.test(t)) {
    throw new RangeError(`time "${t}" has no UTC offset`);
  }
  const match = COMMON_ISO.exec(t);
  if (match) {
    // Absent seconds or offset ('Z') read as 0.
    const [, year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match.map((group) => Number(group ?? 0));
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const ms = Date.parse(t);
    const valid =
      month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 &&
      offsetHours <= 23 && offsetMinutes <= 59 && !Number.isNaN(ms);
    if (!valid) throw new RangeError(`invalid time ${t}: no such date, time or offset`);
    return ms;
  }
  const dt = DateTime.fromISO(t, { zone: 'UTC' });
  if (!dt.isValid) {
    throw new RangeError(`invalid time ${t}: ${dt.invalidExplanation ?? dt.invalidReason}`);
  }
  return dt.toMillis();
}

/** The instant as a Date (the offset of an ISO string is honoured). */
export function toDate(t: TimeInput): Date {
  return new Date(toEpochMs(t));
}

/** The instant in the canonical form the engine stores: UTC `toISOString()` (e.g. `2026-11-23T01:30:00.000Z`). */
export function toUtcIso(t: TimeInput): string {
  return toDate(t).toISOString();
}

/** `t` plus a number of minutes of elapsed time (calendar hours: DST does not stretch or shrink them). */
export function addMinutes(t: TimeInput, minutes: number): Date {
  return new Date(toDate(t).getTime() + minutes * 60_000);
}

/** Whole minutes from `from` to `to`, rounded up (a deadline missed by 1 ms is 1 minute late); negative when early. */
export function minutesBetween(from: TimeInput, to: TimeInput): number {
  return Math.ceil((toDate(to).getTime() - toDate(from).getTime()) / 60_000);
}
