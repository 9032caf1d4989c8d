import { inZone, type TimeInput } from './instant.js';
import { atLocalTime, localTimeMinutes, type LocalTimeOfDay } from './local-time.js';

/**
 * D7: the first scheduled outbound departure strictly after `t` (a reply at exactly 15:00 misses the 15:00
 * truck and gets the next one), rolling over to the first departure of the next local day.
 * Departures run every day; `null` when the branch has none configured.
 */
export function firstDepartureAfter(t: TimeInput, departures: readonly LocalTimeOfDay[], zone: string): Date | null {
  if (departures.length === 0) {
    return null;
  }
  const after = inZone(t, zone);
  const ordered = [...departures].sort((a, b) => localTimeMinutes(a) - localTimeMinutes(b));
  const today = after.startOf('day');
  // Two days always suffice: the next day's first departure is after any time of today.
  for (const day of [today, today.plus({ days: 1 })]) {
    for (const departure of ordered) {
      const slot = atLocalTime(day, departure);
      if (slot > after) {
        return slot.toJSDate();
      }
    }
  }
  // Only reachable when a DST gap pushes every slot of both days onto or before `t`, which no real zone does.
  throw new RangeError(`no departure after ${String(t)} in ${zone}`);
}
