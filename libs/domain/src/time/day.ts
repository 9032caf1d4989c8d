import { inZone, type TimeInput } from './instant.js';
import { atLocalTime, type LocalTimeOfDay } from './local-time.js';

/**
 * D4: the end of the local day of `t` — 23:59:59.999 local, or the branch's `closeTime` of that day when given.
 *
 * Decision: when `t` is already at or after the close time (a failed attempt scanned after closing), the
 * deadline is 23:59:59.999 of that day instead. A close time before the clock start would make the deadline
 * missed at the moment it is armed, for an attempt the branch was evidently still working on.
 */
export function endOfLocalDay(t: TimeInput, zone: string, closeTime?: LocalTimeOfDay | null): Date {
  const local = inZone(t, zone);
  if (closeTime) {
    const close = atLocalTime(local, closeTime);
    if (close > local) {
      return close.toJSDate();
    }
  }
  return local.endOf('day').toJSDate();
}

/** Whether two instants fall on the same calendar day in `zone`. */
export function isSameLocalDay(a: TimeInput, b: TimeInput, zone: string): boolean {
  return localDate(a, zone) === localDate(b, zone);
}

/** The local calendar date of `t`, `YYYY-MM-DD`. */
export function localDate(t: TimeInput, zone: string): string {
  return inZone(t, zone).toFormat('yyyy-LL-dd');
}

/** The month key case numbers are drawn from: `YYYYMM` of the local time of `t` (§7). */
export function localMonthKey(t: TimeInput, zone: string): string {
  return inZone(t, zone).toFormat('yyyyLL');
}
