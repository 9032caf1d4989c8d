import { Logger, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_ENV, type AppEnv } from '#config';

export const REDIS = Symbol('REDIS');

export const redisProvider: Provider = {
  provide: REDIS,
  inject: [APP_ENV],
  useFactory: (env: AppEnv) => new Redis(env.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false }),
};

/**
 * BullMQ timers are data: an evicting Redis would silently drop deadlines. Production refuses to
 * start on anything but `noeviction`; elsewhere it warns loudly (the reconciler repairs losses).
 */
export async function checkEvictionPolicy(redis: Redis, env: AppEnv): Promise<string> {
  const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
  if (policy !== 'noeviction') {
    const message = `REDIS_URL: maxmemory-policy is "${policy}", must be "noeviction" or deadlines can be evicted`;
    if (env.NODE_ENV === 'production') throw new Error(message);
    new Logger('Redis').warn(`!!! ${message} (tolerated outside production)`);
  }
  return policy;
}
