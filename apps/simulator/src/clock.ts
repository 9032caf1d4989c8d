import { DateTime } from 'luxon';

const MINUTE_MS = 60_000;
const QUARTER_HOUR_MS = 15 * MINUTE_MS;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since local midnight of an `HH:mm` string. */
export function minutesOfDay(hhmm: string): number {
  const match = HHMM.exec(hhmm);
  if (!match) {
    throw new RangeError(`"${hhmm}" is not a time of day HH:mm`);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

export function minutes(count: number): number {
  return count * MINUTE_MS;
}

/**
 * Local wall-clock arithmetic around the simulated day, in the network's zone. The generator keeps every
 * instant as epoch milliseconds (cheap to add and sort) and asks this clock for local days and times;
 * luxon does the zone work, and its answers (midnights, wall-clock instants, offsets) are cached because the
 * same few days are asked for hundreds of thousands of times.
 */
export class LocalClock {
  private readonly midnights = new Map<number, DateTime>();
  private readonly offsets = new Map<number, number>();
  private readonly wallClockInstants = new Map<number, number>();

  /** `day` is the simulated local day, `YYYY-MM-DD`. */
  constructor(
    readonly day: string,
    readonly zone: string,
  ) {
    const start = DateTime.fromISO(day, { zone });
    if (!start.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      throw new RangeError(`invalid day "${day}" in zone "${zone}": ${start.invalidExplanation ?? 'expected YYYY-MM-DD'}`);
    }
    this.midnights.set(0, start.startOf('day'));
  }

  private midnight(dayOffset: number): DateTime {
    let midnight = this.midnights.get(dayOffset);
    if (!midnight) {
      midnight = this.midnights.get(0)!.plus({ days: dayOffset }).startOf('day');
      this.midnights.set(dayOffset, midnight);
    }
    return midnight;
  }

  /** The instant of local time `hhmm` (or a minute of the day) on the simulated day plus `dayOffset` days. */
  at(dayOffset: number, time: string | number): number {
    const minute = typeof time === 'number' ? time : minutesOfDay(time);
    const key = dayOffset * 1440 + minute;
    let instant = this.wallClockInstants.get(key);
    if (instant === undefined) {
      instant = this.midnight(dayOffset)
        .set({ hour: Math.floor(minute / 60), minute: minute % 60 })
        .toMillis();
      this.wallClockInstants.set(key, instant);
    }
    return instant;
  }

  /** Start (local midnight) of the simulated day plus `dayOffset`. */
  startOfDay(dayOffset: number): number {
    return this.midnight(dayOffset).toMillis();
  }

  /** Whole local days between the simulated day and the local day of `instant` (negative before it). */
  dayOffsetOf(instant: number): number {
    let offset = Math.floor((instant - this.startOfDay(0)) / (1440 * MINUTE_MS));
    // Days are not always 24 h long (DST): settle on the day whose midnights bracket the instant.
    while (instant < this.startOfDay(offset)) offset--;
    while (instant >= this.startOfDay(offset + 1)) offset++;
    return offset;
  }

  /** Minutes since local midnight of `instant`. */
  minuteOfDay(instant: number): number {
    const wallClockMinutes = Math.floor((instant + this.offsetMinutes(instant) * MINUTE_MS) / MINUTE_MS);
    return ((wallClockMinutes % 1440) + 1440) % 1440;
  }

  /** The zone's UTC offset at `instant`, in minutes (luxon's answer, cached per quarter hour). */
  private offsetMinutes(instant: number): number {
    const bucket = Math.floor(instant / QUARTER_HOUR_MS);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = DateTime.fromMillis(bucket * QUARTER_HOUR_MS, { zone: this.zone }).offset;
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  /** The first of the daily `slots` ('HH:mm') strictly after `instant`, looking up to two days ahead. */
  nextSlotAfter(instant: number, slots: readonly string[]): number {
    const ordered = slots.map(minutesOfDay).sort((a, b) => a - b);
    const today = this.dayOffsetOf(instant);
    for (const dayOffset of [today, today + 1]) {
      for (const slot of ordered) {
        const candidate = this.at(dayOffset, slot);
        if (candidate > instant) {
          return candidate;
        }
      }
    }
    throw new RangeError(`no slot after ${this.format(instant)} among ${slots.join(', ')}`);
  }

  /** End of the local day of `instant`: 23:59:59.999. */
  endOfDay(instant: number): number {
    return this.startOfDay(this.dayOffsetOf(instant) + 1) - 1;
  }

  /**
   * ISO-8601 with the zone's offset, as branch systems send it: `2026-11-23T09:30:00+08:00` (milliseconds
   * only when there are any). Formatting a few hundred thousand instants through luxon takes seconds, so
   * luxon only supplies the zone offset, cached per quarter hour (zone offsets change on quarter hours).
   */
  format(instant: number): string {
    const offset = this.offsetMinutes(instant);
    // Whole seconds print without a fraction (as events carry them); a due time like 23:59:59.999 keeps it.
    const iso = new Date(instant + offset * MINUTE_MS).toISOString();
    const wallClock = instant % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
    const sign = offset < 0 ? '-' : '+';
    const absolute = Math.abs(offset);
    return `${wallClock}${sign}${pad2(Math.floor(absolute / 60))}:${pad2(absolute % 60)}`;
  }

  /** The local date `YYYY-MM-DD` of the simulated day plus `dayOffset`. */
  date(dayOffset: number): string {
    return this.midnight(dayOffset).toFormat('yyyy-LL-dd');
  }
}
