/** Waits `ms` milliseconds; injectable so that tests need not sleep. */
export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spaces calls to one gateway at most `ratePerSecond` apart. Every caller of the process shares the instance, so
 * concurrent deliveries queue for their slot instead of each assuming the whole rate is theirs. A slot left
 * unused is not saved up: after a quiet spell the next call goes at once, but no burst follows it.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`rate must be positive, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** Resolves when the caller may send. */
  async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.sleep(slot - now);
  }
}

/**
 * One {@link RateLimiter} per gateway, created on first use: a channel that reaches several hosts (each site's
 * webhook is its own system) limits each host separately, at the channel's configured rate.
 */
export class GatewayRateLimits {
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {}

  /** The limiter of the gateway serving `url` (keyed by its origin: scheme, host and port). */
  forUrl(url: string): RateLimiter {
    return this.forKey(new URL(url).origin);
  }

  forKey(key: string): RateLimiter {
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter(this.ratePerSecond, this.now, this.sleep);
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
