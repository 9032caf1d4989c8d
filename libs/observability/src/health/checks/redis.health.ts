import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { HEALTH_OPTIONS, withPolicy, type DependencyHealthCheck, type ResolvedHealthOptions } from '../health-check.js';

/**
 * Redis: PING on a dedicated connection built from `REDIS_URL`, opened at the first check and kept. It does not
 * reconnect in the background: a check finding it closed opens it again, and commands are not queued while it is
 * down, so an unreachable Redis is reported at once instead of at the timeout.
 */
@Injectable()
export class RedisHealthCheck implements DependencyHealthCheck, OnApplicationShutdown {
  readonly key = 'redis';
  private client?: Redis;
  /** The latest connection error: more telling than the "Connection is closed" a command then fails with. */
  private lastConnectionError?: Error;

  constructor(
    @Inject(HealthIndicatorService) private readonly indicator: HealthIndicatorService,
    @Inject(HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
  ) {}

  check(): PromiseLike<HealthIndicatorResult> {
    const attempt = this.indicator.check(this.key).attempt(async () => {
      const client = this.connection();
      try {
        if (client.status === 'wait' || client.status === 'end') await client.connect();
        const reply = await client.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply: ${reply}`);
      } catch (error) {
        throw client.status !== 'ready' && this.lastConnectionError ? this.lastConnectionError : error;
      }
    });
    return withPolicy(attempt, this.options);
  }

  onApplicationShutdown(): void {
    // A client that already ended has nothing to close; disconnecting it anyway leaves ioredis waiting 2 s for a
    // socket that is gone.
    if (this.client && this.client.status !== 'end') this.client.disconnect();
    this.client = undefined;
  }

  private connection(): Redis {
    if (!this.client) {
      const client = new Redis(this.options.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: this.options.timeoutMs,
        connectionName: this.options.clientName,
        retryStrategy: () => null,
      });
      // Connection errors surface as failed checks; without a listener ioredis would also print each one.
      client.on('error', (error: Error) => {
        this.lastConnectionError = error;
      });
      client.on('ready', () => {
        this.lastConnectionError = undefined;
      });
      this.client = client;
    }
    return this.client;
  }
}
