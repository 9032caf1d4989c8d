import { inZone, type TimeInput } from './instant.js';
import { atLocalTime, localTimeMinutes, type LocalTimeOfDay } from './local-time.js';

/** The customer-SMS quiet window (policy `quietHours`, default 21:00–08:00 local). */
export interface QuietHours {
  start: LocalTimeOfDay;
  end: LocalTimeOfDay;
}

/**
 * When an SMS due at `t` may be sent: `null` when `t` is outside quiet hours (send now), else the local end of
 * the quiet window. The window includes its start and excludes its end (21:00:00 is quiet, 08:00:00 is not).
 * A window whose start is after its end spans midnight; equal start and end means no quiet hours.
 */
export function quietHoursRelease(t: TimeInput, quietHours: QuietHours, zone: string): Date | null {
  const start = localTimeMinutes(quietHours.start);
  const end = localTimeMinutes(quietHours.end);
  if (start === end) {
    return null;
  }
  const local = inZone(t, zone);
  // Boundaries are whole minutes, so comparing the wall clock's whole minutes is exact.
  const minuteOfDay = local.hour * 60 + local.minute;
  const spansMidnight = start > end;
  const quiet = spansMidnight ? minuteOfDay >= start || minuteOfDay < end : minuteOfDay >= start && minuteOfDay < end;
  if (!quiet) {
    return null;
  }
  const releaseDay = spansMidnight && minuteOfDay >= start ? local.startOf('day').plus({ days: 1 }) : local;
  return atLocalTime(releaseDay, quietHours.end).toJSDate();
}
