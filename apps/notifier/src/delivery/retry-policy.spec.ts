import fc from 'fast-check';
import { retryDelayMs } from './retry-policy.js';

const settings = { baseMs: 500, maxMs: 60_000 };

describe('retryDelayMs (exponential backoff, full jitter)', () => {
  it('doubles the ceiling with every failure, from the base', () => {
    const almostOne = () => 0.999_999;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, almostOne))).toEqual([499, 999, 1999, 3999]);
  });

  it('never waits longer than the cap', () => {
    expect(retryDelayMs(30, settings, () => 0.999_999)).toBe(59_999);
  });

  it('draws the whole range down to zero (full jitter)', () => {
    expect(retryDelayMs(5, settings, () => 0)).toBe(0);
    expect(retryDelayMs(5, settings, () => 0.5)).toBe(4000);
  });

  it('stays within [0, min(max, base * 2^(n-1))] for any attempt and draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, draw) => {
        const delay = retryDelayMs(n, settings, () => draw);
        return Number.isInteger(delay) && delay >= 0 && delay <= Math.min(settings.maxMs, settings.baseMs * 2 ** (n - 1));
      }),
    );
  });
});
