import { InvalidConfigurationError, loadEnv } from './load-env.js';

describe('loadEnv', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

  it('applies defaults that work on a developer machine', () => {
    const env = loadEnv(base);
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/courier');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(env.NODE_ENV).toBe('development');
  });

  it('splits a broker list', () => {
    expect(loadEnv({ KAFKA_BROKERS: 'a:1, b:2' }).KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
  });

  it.each([
    [{ KAFKA_BROKERS: undefined }, 'KAFKA_BROKERS (unset)'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS ("localhost"): each broker must be host:port'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL ("http://x"): must be a URL with scheme redis or rediss'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL ("nonsense")'],
    [{ INGEST_STATE_CACHE_ENTRIES: '-5' }, 'INGEST_STATE_CACHE_ENTRIES ("-5")'],
    [{ NODE_ENV: 'prod' }, 'NODE_ENV ("prod")'],
  ])('names the variable of a bad value: %j', (override, expected) => {
    expect(() => loadEnv({ ...base, ...override })).toThrow(InvalidConfigurationError);
    expect(() => loadEnv({ ...base, ...override })).toThrow(expected);
  });
});
