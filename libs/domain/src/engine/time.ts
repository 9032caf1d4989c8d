/**
 * Engine-internal time arithmetic on canonical UTC ISO strings (`toISOString()` form). Those compare correctly
 * as strings, so the hot path (every scan) needs no date parsing; zone-aware rules use ../time (luxon).
 */
import type { IsoTime } from './types.js';

/** An event time as sent (validated by the contract: ISO-8601 with offset) → canonical UTC ISO. */
export function utc(time: string): IsoTime {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) {
    throw new RangeError(`not a timestamp: ${time}`);
  }
  return new Date(ms).toISOString();
}

export function iso(date: Date): IsoTime {
  return date.toISOString();
}

export function plusMinutes(time: IsoTime, minutes: number): IsoTime {
  return new Date(Date.parse(time) + minutes * 60_000).toISOString();
}

/** Whole minutes late, rounded up (1 ms late is 1 minute late). */
export function minutesLate(dueAt: IsoTime, metAt: IsoTime): number {
  return Math.max(0, Math.ceil((Date.parse(metAt) - Date.parse(dueAt)) / 60_000));
}

export function earliest(times: Iterable<IsoTime | null | undefined>): IsoTime | null {
  let best: IsoTime | null = null;
  for (const time of times) {
    if (time && (best === null || time < best)) best = time;
  }
  return best;
}
