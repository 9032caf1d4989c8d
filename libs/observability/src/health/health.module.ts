import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaHealthCheck } from './checks/kafka.health.js';
import { PostgresHealthCheck } from './checks/postgres.health.js';
import { RedisHealthCheck } from './checks/redis.health.js';
import { HealthController } from './health.controller.js';
import { HEALTH_CHECKS, HEALTH_OPTIONS, type DependencyHealthCheck, type ResolvedHealthOptions } from './health-check.js';

const BUILT_IN_CHECKS = {
  postgres: PostgresHealthCheck,
  redis: RedisHealthCheck,
  kafka: KafkaHealthCheck,
} as const satisfies Record<string, Type<DependencyHealthCheck>>;

export type BuiltInHealthCheck = keyof typeof BUILT_IN_CHECKS;

export interface HealthModuleOptions {
  /** What /health checks: built-in checks by name, and the app's own check classes. Only these are created. */
  checks: readonly (BuiltInHealthCheck | Type<DependencyHealthCheck>)[];
  /** Service name; the health clients connect as `<app>-health`. */
  app?: string;
  /** Per-check time limit in ms. Default 2000. */
  timeoutMs?: number;
  /** How long a check result is reused, in ms (0 = never). Default 1000. */
  cacheMs?: number;
  /** Default: env `REDIS_URL`, else `redis://127.0.0.1:6379` (the default of ioredis and of the services' config). */
  redisUrl?: string;
  /** Default: env `KAFKA_BROKERS`, comma-separated. */
  kafkaBrokers?: readonly string[];
  /** TypeORM data source name, for an app with several. Default: the default data source. */
  dataSourceName?: string;
  /** Modules whose exports the app's own check classes inject (global modules need not be listed). */
  imports?: ModuleMetadata['imports'];
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function resolveOptions(options: HealthModuleOptions): ResolvedHealthOptions {
  const brokers = options.kafkaBrokers ?? (process.env.KAFKA_BROKERS ?? '').split(',');
  return {
    clientName: `${options.app ?? 'courier'}-health`,
    timeoutMs: options.timeoutMs ?? 2_000,
    cacheMs: options.cacheMs ?? 1_000,
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL,
    kafkaBrokers: brokers.map((broker) => broker.trim()).filter((broker) => broker !== ''),
    dataSourceName: options.dataSourceName,
  };
}

/**
 * `GET /health` with @nestjs/terminus, checking only the dependencies the application lists:
 *
 *   HealthModule.forRoot({ app: 'ingest', checks: ['postgres', 'kafka'] })
 *
 * The built-in checks are `postgres` (SELECT 1 on the app's TypeORM DataSource), `redis` (PING, `REDIS_URL`) and
 * `kafka` (describeCluster, `KAFKA_BROKERS`); a class implementing {@link DependencyHealthCheck} adds a custom one.
 * Connection settings are read when the application is created; a kafka check without brokers fails the start-up.
 */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions): DynamicModule {
    const checkClasses = [...new Set(options.checks.map((check) => (typeof check === 'string' ? BUILT_IN_CHECKS[check] : check)))];
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot(), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        { provide: HEALTH_OPTIONS, useFactory: () => resolveOptions(options) },
        ...checkClasses,
        { provide: HEALTH_CHECKS, useFactory: (...checks: DependencyHealthCheck[]) => checks, inject: checkClasses },
      ],
    };
  }
}
