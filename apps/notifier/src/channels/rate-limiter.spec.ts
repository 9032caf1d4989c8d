import { GatewayRateLimits, RateLimiter } from './rate-limiter.js';

/** A clock that only moves when the limiter sleeps, so the schedule it asks for is observable exactly. */
function virtualTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    advance: (ms: number) => (now += ms),
    sleeps,
  };
}

describe('RateLimiter', () => {
  it('lets the first call through at once and spaces the following ones 1/rate apart', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(4, time.now, time.sleep);
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    expect(time.sleeps).toEqual([250, 500, 750]);
  });

  it('does not save up unused slots: after a quiet spell the next call goes at once, the one after waits', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter(2, time.now, time.sleep);
    await limiter.acquire();
    time.advance(10_000);
    await limiter.acquire();
    await limiter.acquire();
    expect(time.sleeps).toEqual([500]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow('rate must be positive');
  });
});

describe('GatewayRateLimits', () => {
  it('shares one limiter per gateway origin and keeps different gateways apart', async () => {
    const time = virtualTime();
    const limits = new GatewayRateLimits(10, time.now, time.sleep);
    expect(limits.forUrl('http://127.0.0.1:9000/branch/A')).toBe(limits.forUrl('http://127.0.0.1:9000/branch/B'));
    expect(limits.forUrl('http://127.0.0.1:9000/x')).not.toBe(limits.forUrl('http://127.0.0.1:9001/x'));
    await limits.forUrl('http://127.0.0.1:9000/a').acquire();
    await limits.forUrl('http://127.0.0.1:9001/a').acquire();
    await limits.forUrl('http://127.0.0.1:9000/b').acquire();
    expect(time.sleeps).toEqual([100]);
  });
});
