import type { DateTime } from 'luxon';

/** A wall-clock time of day, `HH:mm` in 24-hour form (00:00 … 23:59). */
export type LocalTimeOfDay = string;

export const LOCAL_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since local midnight of an `HH:mm` string. Throws on anything else. */
export function parseLocalTime(hhmm: LocalTimeOfDay): { hour: number; minute: number } {
  const match = LOCAL_TIME_PATTERN.exec(hhmm);
  if (!match) {
    throw new RangeError(`"${hhmm}" is not a time of day HH:mm`);
  }
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

export function isLocalTime(value: string): boolean {
  return LOCAL_TIME_PATTERN.test(value);
}

/** Minutes since midnight, for ordering `HH:mm` strings. */
export function localTimeMinutes(hhmm: LocalTimeOfDay): number {
  const { hour, minute } = parseLocalTime(hhmm);
  return hour * 60 + minute;
}

/**
 * The same local calendar day as `day`, at `hhmm` (seconds and milliseconds zero).
 *
 * A wall time that does not exist on that day (inside a DST spring-forward gap) is moved forward by the
 * gap, as luxon does: 02:30 on a day that jumps from 02:00 to 03:00 becomes 03:30. An ambiguous wall
 * time (DST fall-back) resolves to its first occurrence.
 */
export function atLocalTime(day: DateTime, hhmm: LocalTimeOfDay): DateTime {
  const { hour, minute } = parseLocalTime(hhmm);
  return day.set({ hour, minute, second: 0, millisecond: 0 });
}
