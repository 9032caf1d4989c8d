import type { DateTime } from 'luxon';
import { inZone, toDate, type TimeInput } from './instant.js';

/** The business calendar (policy `calendar`): ISO weekdays 1 = Monday … 7 = Sunday, dates `YYYY-MM-DD` local. */
export interface BusinessCalendar {
  weekendDays: readonly number[];
  holidays: readonly string[];
  /** Weekend days worked in exchange for a holiday (调休): working days despite `weekendDays`. */
  extraWorkingDays: readonly string[];
}

// Ten years of consecutive non-working days means a broken calendar, not a long holiday.
const MAX_DAYS_SEARCHED = 3660;

/** Whether the local day `day` is a working day: an extra working day always is, a holiday never is. */
export function isWorkingDay(day: DateTime, calendar: BusinessCalendar): boolean {
  const date = day.toFormat('yyyy-LL-dd');
  if (calendar.extraWorkingDays.includes(date)) {
    return true;
  }
  if (calendar.holidays.includes(date)) {
    return false;
  }
  return !calendar.weekendDays.includes(day.weekday);
}

/** Whether the local day of `t` is a working day. */
export function isWorkingDate(t: TimeInput, calendar: BusinessCalendar, zone: string): boolean {
  return isWorkingDay(inZone(t, zone), calendar);
}

/**
 * C3: 23:59:59.999 local of the `n`-th working day strictly after the local day of `t`. The day of `t` itself
 * never counts, working or not: a Saturday registration with n = 3 is due at the end of Wednesday in a
 * Monday–Friday week.
 *
 * Every decision about a complaint re-derives its C3 due time, and the calendar walk costs tens of
 * microseconds of luxon arithmetic, so answers are remembered per calendar. The answer depends only on the
 * local day of `t`, which is the same for every instant of one UTC minute (zone offsets are whole minutes
 * everywhere since 1972): the key is that minute.
 */
export function endOfNthWorkingDayAfter(t: TimeInput, n: number, calendar: BusinessCalendar, zone: string): Date {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`working-day count must be a positive integer, got ${n}`);
  }
  const key = `${zone}|${n}|${Math.floor(toDate(t).getTime() / 60_000)}`;
  let answers = remembered.get(calendar);
  if (!answers) remembered.set(calendar, (answers = new Map()));
  const known = answers.get(key);
  if (known !== undefined) return new Date(known);
  const due = walkWorkingDays(t, n, calendar, zone);
  if (answers.size >= ANSWERS_KEPT) answers.clear();
  answers.set(key, due.getTime());
  return due;
}

const remembered = new WeakMap<BusinessCalendar, Map<string, number>>();
const ANSWERS_KEPT = 10_000;

function walkWorkingDays(t: TimeInput, n: number, calendar: BusinessCalendar, zone: string): Date {
  let day = inZone(t, zone).startOf('day');
  let counted = 0;
  for (let searched = 0; searched < MAX_DAYS_SEARCHED; searched++) {
    day = day.plus({ days: 1 });
    if (isWorkingDay(day, calendar) && ++counted === n) {
      return day.endOf('day').toJSDate();
    }
  }
  throw new RangeError(`business calendar has fewer than ${n} working days in the ${MAX_DAYS_SEARCHED} days after ${String(t)}`);
}
