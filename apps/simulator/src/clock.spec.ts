import fc from 'fast-check';
import { DateTime } from 'luxon';
import { LocalClock } from './clock.js';

describe('LocalClock', () => {
  it('formats instants exactly as luxon does, also across DST changes', () => {
    for (const zone of ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      const clock = new LocalClock('2026-03-08', zone);
      fc.assert(
        fc.property(fc.integer({ min: Date.parse('2026-01-01T00:00:00Z') / 1000, max: Date.parse('2026-12-31T00:00:00Z') / 1000 }), (seconds) => {
          const instant = seconds * 1000;
          expect(clock.format(instant)).toBe(DateTime.fromMillis(instant, { zone }).toISO({ suppressMilliseconds: true }));
        }),
        { numRuns: 2_000 },
      );
    }
  });

  it('keeps milliseconds when there are any (due times such as 23:59:59.999)', () => {
    const clock = new LocalClock('2026-11-22', 'Asia/Shanghai');
    expect(clock.format(clock.endOfDay(clock.at(0, '10:00')))).toBe('2026-11-22T23:59:59.999+08:00');
  });

  it('finds local days, times and the next slot strictly after an instant', () => {
    const clock = new LocalClock('2026-11-22', 'Asia/Shanghai');
    const nine = clock.at(0, '09:00');
    expect(clock.format(nine)).toBe('2026-11-22T09:00:00+08:00');
    expect(clock.dayOffsetOf(nine)).toBe(0);
    expect(clock.dayOffsetOf(clock.at(1, '00:00'))).toBe(1);
    expect(clock.dayOffsetOf(clock.at(0, '00:00') - 1)).toBe(-1);
    expect(clock.minuteOfDay(clock.at(2, '17:45'))).toBe(17 * 60 + 45);
    expect(clock.format(clock.nextSlotAfter(nine, ['09:00', '15:00', '20:00']))).toBe('2026-11-22T15:00:00+08:00');
    expect(clock.format(clock.nextSlotAfter(clock.at(0, '20:30'), ['20:00', '09:00']))).toBe('2026-11-23T09:00:00+08:00');
    expect(clock.date(3)).toBe('2026-11-25');
  });

  it('rejects an invalid day', () => {
    expect(() => new LocalClock('2026-13-01', 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => new LocalClock('22/11/2026', 'Asia/Shanghai')).toThrow(RangeError);
  });
});
