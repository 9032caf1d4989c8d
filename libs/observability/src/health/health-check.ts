import type { HealthCheckAttempt, HealthIndicatorResult } from '@nestjs/terminus';

/**
 * One dependency checked by `GET /health`. The built-in checks (postgres, redis, kafka) implement it; an app can
 * add its own by passing the class to `HealthModule.forRoot({ checks: [...] })`.
 */
export interface DependencyHealthCheck {
  /** Key of the dependency in the /health answer. */
  readonly key: string;
  /** False when the check cannot run in this application; it is then left out of /health. Default true. */
  readonly enabled?: boolean;
  /** Resolves to `{ [key]: { status: 'up' | 'down', ... } }`; never rejects. */
  check(): PromiseLike<HealthIndicatorResult>;
}

export interface ResolvedHealthOptions {
  /** Names the health clients in the servers' connection lists (`<app>-health`). */
  clientName: string;
  /** Longest time one check may take before it reports the dependency down. */
  timeoutMs: number;
  /** How long a result is reused: probes from several sources (orchestrator, load balancer) share one check. */
  cacheMs: number;
  redisUrl: string;
  kafkaBrokers: string[];
  /** TypeORM data source to query; undefined = the default one. */
  dataSourceName?: string;
}

export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');
export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** Applies the module's timeout and result caching to a check attempt. */
export function withPolicy<Key extends string>(attempt: HealthCheckAttempt<Key>, options: ResolvedHealthOptions): HealthCheckAttempt<Key> {
  const limited = attempt.withTimeout(options.timeoutMs);
  return options.cacheMs > 0 ? limited.cacheFor(options.cacheMs) : limited;
}
