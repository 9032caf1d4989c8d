import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  addMinutes,
  d2Cutoff,
  endOfLocalDay,
  endOfNthWorkingDayAfter,
  firstDepartureAfter,
  inZone,
  isSameLocalDay,
  isWorkingDate,
  localDate,
  localMonthKey,
  minutesBetween,
  quietHoursRelease,
  toUtcIso,
  type BusinessCalendar,
} from './index.js';

const SHANGHAI = 'Asia/Shanghai'; // UTC+8 all year
const NEW_YORK = 'America/New_York'; // DST 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00
const BERLIN = 'Europe/Berlin'; // DST 2026-03-29

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

describe('instants', () => {
  it('normalises an offset ISO string to UTC', () => {
    expect(toUtcIso('2026-11-23T09:30:00+08:00')).toBe('2026-11-23T01:30:00.000Z');
    expect(toUtcIso(new Date('2026-11-23T01:30:00Z'))).toBe('2026-11-23T01:30:00.000Z');
  });

  it('refuses a time without offset, which would depend on the host zone', () => {
    expect(() => toUtcIso('2026-11-23T09:30:00')).toThrow('has no UTC offset');
    expect(() => d2Cutoff('2026-11-23T09:30:00', '10:00', SHANGHAI)).toThrow('has no UTC offset');
  });

  it('refuses unparsable times and unknown zones', () => {
    expect(() => toUtcIso('2026-13-40T09:30:00+08:00')).toThrow(RangeError);
    expect(() => inZone('2026-11-23T09:30:00+08:00', 'Mars/Base')).toThrow('unknown IANA zone "Mars/Base"');
    expect(() => toUtcIso(new Date(Number.NaN))).toThrow(RangeError);
  });

  it.each(['2026-02-30T00:00:00Z', '2026-11-31T00:00:00+08:00', '2026-11-23T24:00:00Z', '2026-11-23T09:60:00Z', '2026-11-23T09:30:00+08:75'])(
    'refuses the impossible date or time %s that Date.parse would roll over',
    (time) => {
      expect(() => toUtcIso(time)).toThrow(RangeError);
    },
  );

  it.each([
    ['2026-11-23T09:30:00+0800', '2026-11-23T01:30:00.000Z'],
    ['2026-11-23T09:30+08:00', '2026-11-23T01:30:00.000Z'],
    ['2026-11-23T09:30:00.123456+08:00', '2026-11-23T01:30:00.123Z'],
    ['2028-02-29T00:00:00z', '2028-02-29T00:00:00.000Z'],
    ['2026-W48-1T09:30:00+08:00', '2026-11-23T01:30:00.000Z'], // ISO week date: luxon's full parser
  ])('reads %s as %s', (time, expected) => {
    expect(toUtcIso(time)).toBe(expected);
  });

  it('converts like plain luxon in every zone, DST transition days included (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(NEW_YORK, BERLIN, SHANGHAI, 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Sao_Paulo', 'Pacific/Apia'),
        (t, zone) => {
          const ours = inZone(t, zone);
          const luxon = DateTime.fromJSDate(t, { zone });
          expect(ours.toISO()).toBe(luxon.toISO());
          expect(ours.startOf('day').toISO()).toBe(luxon.startOf('day').toISO());
          expect(ours.endOf('day').plus({ days: 1 }).toISO()).toBe(luxon.endOf('day').plus({ days: 1 }).toISO());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('converts exactly around each 2026 DST transition', () => {
    for (const [zone, transition] of [
      [NEW_YORK, '2026-03-08T07:00:00Z'],
      [NEW_YORK, '2026-11-01T06:00:00Z'],
      [BERLIN, '2026-03-29T01:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'], // a 30-minute DST shift
    ] as const) {
      for (const deltaMinutes of [-61, -31, -1, 0, 1, 29, 31, 61]) {
        const t = new Date(Date.parse(transition) + deltaMinutes * 60_000);
        expect(inZone(t, zone).toISO()).toBe(DateTime.fromJSDate(t, { zone }).toISO());
      }
    }
  });

  it('adds calendar minutes and measures lateness rounded up', () => {
    expect(iso(addMinutes('2026-11-23T09:30:00+08:00', 1440))).toBe('2026-11-24T01:30:00.000Z');
    // 24 h across the New York spring-forward is 24 elapsed hours, i.e. 10:00 local becomes 11:00 local.
    expect(iso(addMinutes('2026-03-07T10:00:00-05:00', 1440))).toBe('2026-03-08T15:00:00.000Z');
    expect(minutesBetween('2026-11-23T10:00:00+08:00', '2026-11-23T10:00:00.001+08:00')).toBe(1);
    expect(minutesBetween('2026-11-23T10:00:00+08:00', '2026-11-23T12:30:00+08:00')).toBe(150);
    expect(minutesBetween('2026-11-23T10:00:00+08:00', '2026-11-23T09:00:00+08:00')).toBe(-60);
  });
});

describe('d2Cutoff (first 10:00 local strictly after the hub arrival)', () => {
  it.each([
    ['2026-11-23T00:00:00+08:00', '2026-11-23T10:00:00+08:00'],
    ['2026-11-23T09:30:00+08:00', '2026-11-23T10:00:00+08:00'],
    ['2026-11-23T09:59:00+08:00', '2026-11-23T10:00:00+08:00'],
    ['2026-11-23T09:59:59.999+08:00', '2026-11-23T10:00:00+08:00'],
    ['2026-11-23T10:00:00+08:00', '2026-11-24T10:00:00+08:00'], // exactly 10:00:00 → next day (Decision)
    ['2026-11-23T10:00:00.001+08:00', '2026-11-24T10:00:00+08:00'],
    ['2026-11-23T10:01:00+08:00', '2026-11-24T10:00:00+08:00'],
    ['2026-11-23T23:59:59.999+08:00', '2026-11-24T10:00:00+08:00'],
    ['2026-12-31T11:00:00+08:00', '2027-01-01T10:00:00+08:00'],
  ])('arrival %s is due %s', (arrival, due) => {
    expect(iso(d2Cutoff(arrival, '10:00', SHANGHAI))).toBe(toUtcIso(due));
  });

  it('judges the arrival in the network zone whatever offset it was sent with', () => {
    // 01:59Z is 09:59 in Shanghai; 02:00Z is 10:00.
    expect(iso(d2Cutoff('2026-11-23T01:59:00Z', '10:00', SHANGHAI))).toBe('2026-11-23T02:00:00.000Z');
    expect(iso(d2Cutoff(new Date('2026-11-23T02:00:00Z'), '10:00', SHANGHAI))).toBe('2026-11-24T02:00:00.000Z');
  });

  it('uses the configured cutoff time', () => {
    expect(iso(d2Cutoff('2026-11-23T08:29:00+08:00', '08:30', SHANGHAI))).toBe(toUtcIso('2026-11-23T08:30:00+08:00'));
    expect(iso(d2Cutoff('2026-11-23T08:30:00+08:00', '08:30', SHANGHAI))).toBe(toUtcIso('2026-11-24T08:30:00+08:00'));
  });

  it('keeps 10:00 local across a DST change', () => {
    expect(iso(d2Cutoff('2026-03-07T10:30:00-05:00', '10:00', NEW_YORK))).toBe('2026-03-08T14:00:00.000Z');
    expect(iso(d2Cutoff('2026-10-31T10:30:00-04:00', '10:00', NEW_YORK))).toBe('2026-11-01T15:00:00.000Z');
  });

  it('is always a cutoff local time within 24 h after the clock start (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(SHANGHAI, NEW_YORK, BERLIN),
        (start, zone) => {
          const due = d2Cutoff(start, '10:00', zone);
          const local = DateTime.fromJSDate(due, { zone });
          expect(due.getTime()).toBeGreaterThan(start.getTime());
          expect(due.getTime() - start.getTime()).toBeLessThanOrEqual(25 * 3_600_000); // 25: a fall-back day
          expect([local.hour, local.minute, local.second, local.millisecond]).toEqual([10, 0, 0, 0]);
        },
      ),
    );
  });
});

describe('endOfLocalDay (D4)', () => {
  it.each([
    ['2026-11-23T09:00:00+08:00', '2026-11-23T23:59:59.999+08:00'],
    ['2026-11-23T00:00:00+08:00', '2026-11-23T23:59:59.999+08:00'],
    ['2026-11-23T23:59:59.998+08:00', '2026-11-23T23:59:59.999+08:00'],
    ['2026-11-23T23:59:59.999+08:00', '2026-11-23T23:59:59.999+08:00'], // the last millisecond is still that day
    ['2026-11-24T00:00:00+08:00', '2026-11-24T23:59:59.999+08:00'],
    ['2026-11-23T17:00:00Z', '2026-11-24T23:59:59.999+08:00'], // 01:00 on the 24th in Shanghai
  ])('a failed attempt at %s is due %s', (scan, due) => {
    expect(iso(endOfLocalDay(scan, SHANGHAI))).toBe(toUtcIso(due));
  });

  it.each([
    ['2026-11-23T09:00:00+08:00', '2026-11-23T19:00:00+08:00'],
    ['2026-11-23T18:59:59.999+08:00', '2026-11-23T19:00:00+08:00'],
    // At or after the close time the branch is still working: end of day, never a deadline before the scan.
    ['2026-11-23T19:00:00+08:00', '2026-11-23T23:59:59.999+08:00'],
    ['2026-11-23T20:30:00+08:00', '2026-11-23T23:59:59.999+08:00'],
  ])('with closeTime 19:00 an attempt at %s is due %s', (scan, due) => {
    expect(iso(endOfLocalDay(scan, SHANGHAI, '19:00'))).toBe(toUtcIso(due));
  });

  it('ignores a null close time', () => {
    expect(iso(endOfLocalDay('2026-11-23T09:00:00+08:00', SHANGHAI, null))).toBe('2026-11-23T15:59:59.999Z');
  });

  it('follows the local offset on DST days', () => {
    // Fall back: the day has 25 hours and ends at UTC-5.
    expect(iso(endOfLocalDay('2026-11-01T00:30:00-04:00', NEW_YORK))).toBe('2026-11-02T04:59:59.999Z');
    // Spring forward: ends at UTC-4.
    expect(iso(endOfLocalDay('2026-03-08T01:30:00-05:00', NEW_YORK))).toBe('2026-03-09T03:59:59.999Z');
  });
});

describe('firstDepartureAfter (D7, strictly after)', () => {
  const departures = ['09:00', '15:00', '20:00'];

  it.each([
    ['2026-11-23T00:00:00+08:00', '2026-11-23T09:00:00+08:00'],
    ['2026-11-23T08:59:59.999+08:00', '2026-11-23T09:00:00+08:00'],
    ['2026-11-23T09:00:00+08:00', '2026-11-23T15:00:00+08:00'], // exactly at a departure: that truck has gone
    ['2026-11-23T09:00:00.001+08:00', '2026-11-23T15:00:00+08:00'],
    ['2026-11-23T14:59:59.999+08:00', '2026-11-23T15:00:00+08:00'],
    ['2026-11-23T15:00:00+08:00', '2026-11-23T20:00:00+08:00'],
    ['2026-11-23T19:59:00+08:00', '2026-11-23T20:00:00+08:00'],
    ['2026-11-23T20:00:00+08:00', '2026-11-24T09:00:00+08:00'],
    ['2026-11-23T23:59:59.999+08:00', '2026-11-24T09:00:00+08:00'],
  ])('a reply at %s leaves on %s', (reply, departure) => {
    expect(iso(firstDepartureAfter(reply, departures, SHANGHAI))).toBe(toUtcIso(departure));
  });

  it('does not depend on the order the departures are configured in', () => {
    expect(iso(firstDepartureAfter('2026-11-23T10:00:00+08:00', ['20:00', '09:00', '15:00'], SHANGHAI))).toBe(
      toUtcIso('2026-11-23T15:00:00+08:00'),
    );
  });

  it('rolls a single daily departure over to the next day', () => {
    expect(iso(firstDepartureAfter('2026-11-23T20:00:00+08:00', ['20:00'], SHANGHAI))).toBe(
      toUtcIso('2026-11-24T20:00:00+08:00'),
    );
  });

  it('returns null when the branch has no departures', () => {
    expect(firstDepartureAfter('2026-11-23T10:00:00+08:00', [], SHANGHAI)).toBeNull();
  });

  it('keeps local departure times across a DST change', () => {
    expect(iso(firstDepartureAfter('2026-03-07T21:00:00-05:00', ['09:00'], NEW_YORK))).toBe('2026-03-08T13:00:00.000Z');
  });

  it('is one of the departures, strictly after t and within a day (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.uniqueArray(fc.integer({ min: 0, max: 23 * 60 + 59 }), { minLength: 1, maxLength: 6 }),
        (t, minutes) => {
          const slots = minutes.map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
          const departure = firstDepartureAfter(t, slots, SHANGHAI)!;
          const local = DateTime.fromJSDate(departure, { zone: SHANGHAI });
          expect(departure.getTime()).toBeGreaterThan(t.getTime());
          expect(departure.getTime() - t.getTime()).toBeLessThanOrEqual(24 * 3_600_000);
          expect(slots).toContain(local.toFormat('HH:mm'));
          // No departure is skipped: none lies strictly between t and the result.
          for (const day of [-1, 0, 1]) {
            for (const slot of slots) {
              const [h, m] = slot.split(':').map(Number);
              const candidate = local.plus({ days: day }).set({ hour: h, minute: m }).toJSDate().getTime();
              expect(candidate > t.getTime() && candidate < departure.getTime()).toBe(false);
            }
          }
        },
      ),
    );
  });
});

describe('endOfNthWorkingDayAfter (C3)', () => {
  const weekdays: BusinessCalendar = { weekendDays: [6, 7], holidays: [], extraWorkingDays: [] };
  // National Day 2026 (test data): 1–7 Oct off, Sunday 27 Sep and Saturday 10 Oct worked instead.
  const nationalDay: BusinessCalendar = {
    weekendDays: [6, 7],
    holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
    extraWorkingDays: ['2026-09-27', '2026-10-10'],
  };

  it.each([
    ['Saturday', '2026-11-21T10:00:00+08:00', '2026-11-25'], // Mon, Tue, Wed
    ['Sunday', '2026-11-22T23:59:59.999+08:00', '2026-11-25'],
    ['Monday', '2026-11-23T00:00:00+08:00', '2026-11-26'], // the registration day never counts
    ['Friday', '2026-11-20T18:00:00+08:00', '2026-11-25'], // across the weekend
  ])('a %s registration at %s is due at the end of %s', (_day, registration, dueDate) => {
    expect(iso(endOfNthWorkingDayAfter(registration, 3, weekdays, SHANGHAI))).toBe(toUtcIso(`${dueDate}T23:59:59.999+08:00`));
  });

  it('reads the registration day in the network zone', () => {
    // 2026-11-20T16:30Z is Saturday 00:30 in Shanghai, not Friday.
    expect(iso(endOfNthWorkingDayAfter('2026-11-20T16:30:00Z', 3, weekdays, SHANGHAI))).toBe(
      toUtcIso('2026-11-25T23:59:59.999+08:00'),
    );
  });

  it.each([
    ['before a holiday week, counting the extra working Saturday', '2026-09-30T12:00:00+08:00', '2026-10-10'], // 8, 9, 10 Oct
    ['on a Saturday before an extra working Sunday', '2026-09-26T12:00:00+08:00', '2026-09-29'], // 27, 28, 29 Sep
    ['on a holiday', '2026-10-03T12:00:00+08:00', '2026-10-10'],
    ['on an extra working day, which itself does not count', '2026-10-10T12:00:00+08:00', '2026-10-14'], // 12, 13, 14
  ])('a registration %s is due at the end of %s', (_case, registration, dueDate) => {
    expect(iso(endOfNthWorkingDayAfter(registration, 3, nationalDay, SHANGHAI))).toBe(
      toUtcIso(`${dueDate}T23:59:59.999+08:00`),
    );
  });

  it('ends the day at the local offset of that day across DST', () => {
    // Friday 27 Mar (UTC+1) → Monday 30 Mar, after the switch to UTC+2.
    expect(iso(endOfNthWorkingDayAfter('2026-03-27T12:00:00+01:00', 1, weekdays, BERLIN))).toBe('2026-03-30T21:59:59.999Z');
  });

  it('honours a non-default weekend', () => {
    const fridayOff: BusinessCalendar = { weekendDays: [5], holidays: [], extraWorkingDays: [] };
    // Thursday 19 Nov → Saturday 21 Nov (Friday is off).
    expect(iso(endOfNthWorkingDayAfter('2026-11-19T12:00:00+08:00', 1, fridayOff, SHANGHAI))).toBe(
      toUtcIso('2026-11-21T23:59:59.999+08:00'),
    );
  });

  it('gives remembered answers only for the same local day, zone and calendar', () => {
    const friday: BusinessCalendar = { weekendDays: [6, 7], holidays: [], extraWorkingDays: [] };
    const due = (t: string, calendar = friday, zone = SHANGHAI) => iso(endOfNthWorkingDayAfter(t, 1, calendar, zone));
    // Thursday 23:59 local, asked twice within the minute, then the first minute of Friday.
    expect(due('2026-11-19T23:59:00.000+08:00')).toBe(toUtcIso('2026-11-20T23:59:59.999+08:00'));
    expect(due('2026-11-19T23:59:59.999+08:00')).toBe(toUtcIso('2026-11-20T23:59:59.999+08:00'));
    expect(due('2026-11-20T00:00:00.000+08:00')).toBe(toUtcIso('2026-11-23T23:59:59.999+08:00'));
    // The same instant in Berlin is still Thursday afternoon; another calendar makes Friday a holiday.
    expect(due('2026-11-19T23:59:30+08:00', friday, BERLIN)).toBe('2026-11-20T22:59:59.999Z');
    expect(due('2026-11-19T23:59:30+08:00', { ...friday, holidays: ['2026-11-20'] })).toBe(toUtcIso('2026-11-23T23:59:59.999+08:00'));
  });

  it('rejects a non-positive count and a calendar without working days', () => {
    expect(() => endOfNthWorkingDayAfter('2026-11-23T12:00:00+08:00', 0, weekdays, SHANGHAI)).toThrow(RangeError);
    expect(() => endOfNthWorkingDayAfter('2026-11-23T12:00:00+08:00', 1.5, weekdays, SHANGHAI)).toThrow(RangeError);
    const never: BusinessCalendar = { weekendDays: [1, 2, 3, 4, 5, 6, 7], holidays: [], extraWorkingDays: [] };
    expect(() => endOfNthWorkingDayAfter('2026-11-23T12:00:00+08:00', 1, never, SHANGHAI)).toThrow('fewer than 1 working days');
  });

  it('classifies single days', () => {
    expect(isWorkingDate('2026-10-10T08:00:00+08:00', nationalDay, SHANGHAI)).toBe(true); // extra working Saturday
    expect(isWorkingDate('2026-10-05T08:00:00+08:00', nationalDay, SHANGHAI)).toBe(false); // holiday Monday
    expect(isWorkingDate('2026-10-11T08:00:00+08:00', nationalDay, SHANGHAI)).toBe(false); // ordinary Sunday
    expect(isWorkingDate('2026-10-12T08:00:00+08:00', nationalDay, SHANGHAI)).toBe(true);
  });
});

describe('quietHoursRelease (21:00 inclusive, 08:00 exclusive)', () => {
  const quiet = { start: '21:00', end: '08:00' };

  it.each([
    ['2026-11-23T12:00:00+08:00', null],
    ['2026-11-23T20:59:00+08:00', null],
    ['2026-11-23T20:59:59.999+08:00', null],
    ['2026-11-23T21:00:00+08:00', '2026-11-24T08:00:00+08:00'],
    ['2026-11-23T23:30:00+08:00', '2026-11-24T08:00:00+08:00'],
    ['2026-11-24T00:00:00+08:00', '2026-11-24T08:00:00+08:00'],
    ['2026-11-24T07:59:00+08:00', '2026-11-24T08:00:00+08:00'],
    ['2026-11-24T07:59:59.999+08:00', '2026-11-24T08:00:00+08:00'],
    ['2026-11-24T08:00:00+08:00', null],
  ])('an SMS due at %s is released at %s', (t, release) => {
    expect(iso(quietHoursRelease(t, quiet, SHANGHAI))).toBe(release === null ? null : toUtcIso(release));
  });

  it('supports a window that does not span midnight', () => {
    const lunch = { start: '12:00', end: '14:00' };
    expect(quietHoursRelease('2026-11-23T11:59:00+08:00', lunch, SHANGHAI)).toBeNull();
    expect(iso(quietHoursRelease('2026-11-23T12:00:00+08:00', lunch, SHANGHAI))).toBe(toUtcIso('2026-11-23T14:00:00+08:00'));
    expect(iso(quietHoursRelease('2026-11-23T13:59:00+08:00', lunch, SHANGHAI))).toBe(toUtcIso('2026-11-23T14:00:00+08:00'));
    expect(quietHoursRelease('2026-11-23T14:00:00+08:00', lunch, SHANGHAI)).toBeNull();
  });

  it('treats equal start and end as no quiet hours', () => {
    expect(quietHoursRelease('2026-11-23T03:00:00+08:00', { start: '00:00', end: '00:00' }, SHANGHAI)).toBeNull();
  });

  it('releases at 08:00 local on the far side of a DST change', () => {
    expect(iso(quietHoursRelease('2026-03-07T22:00:00-05:00', quiet, NEW_YORK))).toBe('2026-03-08T12:00:00.000Z');
    expect(iso(quietHoursRelease('2026-10-31T22:00:00-04:00', quiet, NEW_YORK))).toBe('2026-11-01T13:00:00.000Z');
  });
});

describe('local calendar keys', () => {
  it('draws the case-number month from local time', () => {
    expect(localMonthKey('2026-11-30T16:30:00Z', SHANGHAI)).toBe('202612'); // 00:30 on 1 Dec in Shanghai
    expect(localMonthKey('2026-11-30T16:30:00Z', 'UTC')).toBe('202611');
    expect(localMonthKey('2026-12-31T23:59:59.999+08:00', SHANGHAI)).toBe('202612');
    expect(localMonthKey('2027-01-01T00:00:00+08:00', SHANGHAI)).toBe('202701');
  });

  it('compares local days', () => {
    expect(isSameLocalDay('2026-11-23T15:59:59.999Z', '2026-11-23T00:00:00+08:00', SHANGHAI)).toBe(true);
    expect(isSameLocalDay('2026-11-23T16:00:00Z', '2026-11-23T23:00:00+08:00', SHANGHAI)).toBe(false);
    expect(isSameLocalDay('2026-11-23T16:00:00Z', '2026-11-23T23:00:00+08:00', 'UTC')).toBe(true);
    expect(localDate(new Date('2026-11-23T16:00:00Z'), SHANGHAI)).toBe('2026-11-24');
  });
});
