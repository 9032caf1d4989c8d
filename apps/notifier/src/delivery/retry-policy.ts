export interface BackoffSettings {
  /** Cap of the first retry's wait; it doubles with each further failure. */
  baseMs: number;
  /** No wait is longer than this, however many failures came before. */
  maxMs: number;
}

/**
 * Exponential backoff with full jitter: after the n-th failed attempt, wait a uniformly random time in
 * [0, min(maxMs, baseMs * 2^(n-1))]. The jitter spreads the retries of a burst that failed together (a gateway
 * outage) instead of sending them back in one wave when it recovers.
 */
export function retryDelayMs(failedAttempts: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(random() * ceiling);
}
