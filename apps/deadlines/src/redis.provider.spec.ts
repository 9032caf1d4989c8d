import type { Redis } from 'ioredis';
import type { AppEnv } from '#config';
import { checkEvictionPolicy } from './redis.provider.js';

const redisWithPolicy = (policy: string) => ({ config: async () => ['maxmemory-policy', policy] }) as unknown as Redis;
const env = (NODE_ENV: AppEnv['NODE_ENV']) => ({ NODE_ENV }) as AppEnv;

describe('checkEvictionPolicy', () => {
  it('accepts noeviction', async () => {
    await expect(checkEvictionPolicy(redisWithPolicy('noeviction'), env('production'))).resolves.toBe('noeviction');
  });

  it('refuses to start in production on a Redis that may evict timers', async () => {
    await expect(checkEvictionPolicy(redisWithPolicy('allkeys-lru'), env('production'))).rejects.toThrow(
      'maxmemory-policy is "allkeys-lru", must be "noeviction"',
    );
  });

  it('only warns elsewhere (the reconciler repairs what is lost)', async () => {
    await expect(checkEvictionPolicy(redisWithPolicy('volatile-lru'), env('development'))).resolves.toBe('volatile-lru');
  });
});
