import { inZone, type TimeInput } from './instant.js';
import { atLocalTime, type LocalTimeOfDay } from './local-time.js';

/**
 * D2: the first local `cutoff` (policy `d2CutoffTime`, default 10:00) strictly after the clock start.
 *
 * An arrival at 09:30 is due at 10:00 the same day; one at 10:00:00.000 exactly or later is due at
 * 10:00 the next day (rules.md §3, **Decision**).
 */
export function d2Cutoff(clockStart: TimeInput, cutoff: LocalTimeOfDay, zone: string): Date {
  const start = inZone(clockStart, zone);
  const sameDay = atLocalTime(start, cutoff);
  if (sameDay > start) {
    return sameDay.toJSDate();
  }
  return atLocalTime(start.startOf('day').plus({ days: 1 }), cutoff).toJSDate();
}
