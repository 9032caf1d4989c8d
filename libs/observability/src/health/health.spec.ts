import { createServer, type Server } from 'node:net';
import { jest } from '@jest/globals';
import { Global, Inject, Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { KafkaHealthCheck } from './checks/kafka.health.js';
import { PostgresHealthCheck } from './checks/postgres.health.js';
import { RedisHealthCheck } from './checks/redis.health.js';
import { HEALTH_OPTIONS, type DependencyHealthCheck, type ResolvedHealthOptions } from './health-check.js';
import { HealthModule, type HealthModuleOptions } from './health.module.js';

@Injectable()
class QueueHealthCheck implements DependencyHealthCheck {
  static healthy = true;
  readonly key = 'queue';
  constructor(@Inject(HealthIndicatorService) private readonly indicator: HealthIndicatorService) {}
  check(): PromiseLike<HealthIndicatorResult> {
    const session = this.indicator.check(this.key);
    return Promise.resolve(QueueHealthCheck.healthy ? session.up({ depth: 3 }) : session.down({ message: 'queue stalled' }));
  }
}

/** A stand-in for the DataSource @nestjs/typeorm registers (its default token is the DataSource class). */
function fakeDataSourceModule(dataSource: { isInitialized: boolean; query: (sql: string) => Promise<unknown> }): Type<unknown> {
  @Global()
  @Module({ providers: [{ provide: DataSource, useValue: dataSource }], exports: [DataSource] })
  class FakeTypeOrmModule {}
  return FakeTypeOrmModule;
}

/** A port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('HealthModule', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    QueueHealthCheck.healthy = true;
  });

  async function start(options: HealthModuleOptions, extraImports: Type<unknown>[] = []): Promise<string> {
    @Module({ imports: [...extraImports, HealthModule.forRoot({ cacheMs: 0, ...options })] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  }

  async function getHealth(url: string): Promise<{ status: number; body: { status: string; details: Record<string, Record<string, unknown>> } }> {
    const response = await fetch(`${url}/health`);
    return { status: response.status, body: (await response.json()) as never };
  }

  it('answers 200 with each dependency up', async () => {
    const url = await start({ checks: [QueueHealthCheck] });
    const { status, body } = await getHealth(url);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', details: { queue: { status: 'up', depth: 3 } } });
  });

  it('answers 503 naming the dependency that is down', async () => {
    QueueHealthCheck.healthy = false;
    const url = await start({ checks: [QueueHealthCheck] });
    const { status, body } = await getHealth(url);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'error', details: { queue: { status: 'down', message: 'queue stalled' } } });
  });

  it('creates only the checks the application lists', async () => {
    await start({ checks: ['kafka'], kafkaBrokers: ['127.0.0.1:9092'] });
    expect(app!.get(KafkaHealthCheck)).toBeInstanceOf(KafkaHealthCheck);
    expect(() => app!.get(RedisHealthCheck)).toThrow();
    expect(() => app!.get(PostgresHealthCheck)).toThrow();
  });

  describe('postgres', () => {
    it('runs SELECT 1 on the TypeORM DataSource', async () => {
      const query = jest.fn(async (_sql: string) => [{ '?column?': 1 }]);
      const url = await start({ checks: ['postgres'] }, [fakeDataSourceModule({ isInitialized: true, query })]);
      const { status, body } = await getHealth(url);
      expect(status).toBe(200);
      expect(body.details.postgres).toMatchObject({ status: 'up' });
      expect(query).toHaveBeenCalledWith('SELECT 1');
    });

    it('is down when the query fails or the DataSource is not initialised', async () => {
      const query = jest.fn(async () => {
        throw new Error('Connection terminated unexpectedly');
      });
      const url = await start({ checks: ['postgres'] }, [fakeDataSourceModule({ isInitialized: true, query })]);
      expect(await getHealth(url)).toMatchObject({
        status: 503,
        body: { details: { postgres: { status: 'down', message: 'Connection terminated unexpectedly' } } },
      });
      await app!.close();

      const idleUrl = await start({ checks: ['postgres'] }, [fakeDataSourceModule({ isInitialized: false, query: jest.fn(async () => []) })]);
      expect((await getHealth(idleUrl)).body.details.postgres).toMatchObject({ status: 'down', message: 'the DataSource is not initialised' });
    });

    it('is down when the query outlasts the timeout', async () => {
      const query = jest.fn(() => new Promise<never>(() => undefined));
      const url = await start({ checks: ['postgres'], timeoutMs: 100 }, [fakeDataSourceModule({ isInitialized: true, query })]);
      expect((await getHealth(url)).body.details.postgres).toMatchObject({ status: 'down', message: 'timeout of 100ms exceeded' });
    });

    it('is skipped in an application without a TypeORM DataSource', async () => {
      const url = await start({ checks: ['postgres', QueueHealthCheck] });
      const { status, body } = await getHealth(url);
      expect(status).toBe(200);
      expect(Object.keys(body.details)).toEqual(['queue']);
    });
  });

  describe('redis', () => {
    it('is down, quickly, when nothing answers at REDIS_URL', async () => {
      const url = await start({ checks: ['redis'], redisUrl: `redis://127.0.0.1:${await closedPort()}`, timeoutMs: 1_500 });
      const started = Date.now();
      const { status, body } = await getHealth(url);
      expect(status).toBe(503);
      expect(body.details.redis).toMatchObject({ status: 'down' });
      expect(String(body.details.redis.message)).toMatch(/ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('defaults to the local Redis when REDIS_URL is not set, as the services do', async () => {
      const previous = process.env.REDIS_URL;
      delete process.env.REDIS_URL;
      try {
        await start({ checks: ['redis'] });
        expect(app!.get<ResolvedHealthOptions>(HEALTH_OPTIONS).redisUrl).toBe('redis://127.0.0.1:6379');
      } finally {
        if (previous !== undefined) process.env.REDIS_URL = previous;
      }
    });
  });

  describe('kafka', () => {
    it('is down when no broker answers at KAFKA_BROKERS', async () => {
      const previous = process.env.KAFKA_BROKERS;
      process.env.KAFKA_BROKERS = ` 127.0.0.1:${await closedPort()} ,`;
      try {
        const url = await start({ checks: ['kafka'], timeoutMs: 1_500 });
        const { status, body } = await getHealth(url);
        expect(status).toBe(503);
        expect(body.details.kafka).toMatchObject({ status: 'down' });
        expect(String(body.details.kafka.message)).toMatch(/ECONNREFUSED|Connection error/);
      } finally {
        if (previous === undefined) delete process.env.KAFKA_BROKERS;
        else process.env.KAFKA_BROKERS = previous;
      }
    });

    it('refuses to start without brokers', async () => {
      await expect(start({ checks: ['kafka'], kafkaBrokers: [] })).rejects.toThrow(/kafka check needs KAFKA_BROKERS/);
    });
  });
});
