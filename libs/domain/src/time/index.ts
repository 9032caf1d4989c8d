// Pure time helpers: every deadline is computed from event time in the network's zone (rules.md §3).
export { addMinutes, inZone, minutesBetween, toDate, toUtcIso, type TimeInput } from './instant.js';
export { atLocalTime, isLocalTime, LOCAL_TIME_PATTERN, localTimeMinutes, parseLocalTime, type LocalTimeOfDay } from './local-time.js';
export { endOfLocalDay, isSameLocalDay, localDate, localMonthKey } from './day.js';
export { d2Cutoff } from './cutoff.js';
export { firstDepartureAfter } from './departures.js';
export { endOfNthWorkingDayAfter, isWorkingDate, isWorkingDay, type BusinessCalendar } from './calendar.js';
export { quietHoursRelease, type QuietHours } from './quiet-hours.js';
