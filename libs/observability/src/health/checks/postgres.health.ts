import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HEALTH_OPTIONS, withPolicy, type DependencyHealthCheck, type ResolvedHealthOptions } from '../health-check.js';

/**
 * PostgreSQL: `SELECT 1` through the application's own TypeORM DataSource (its pool, its credentials), found by the
 * token @nestjs/typeorm registers. An application without one cannot be checked: the check is then skipped, with a
 * warning at start-up.
 */
@Injectable()
export class PostgresHealthCheck implements DependencyHealthCheck, OnModuleInit {
  readonly key = 'postgres';
  private readonly logger = new Logger(PostgresHealthCheck.name);
  private dataSource?: DataSource;

  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(HealthIndicatorService) private readonly indicator: HealthIndicatorService,
    @Inject(HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
  ) {}

  onModuleInit(): void {
    try {
      this.dataSource = this.moduleRef.get<DataSource>(getDataSourceToken(this.options.dataSourceName), { strict: false });
    } catch {
      this.logger.warn('the postgres health check was requested, but no TypeORM DataSource is registered: skipping it');
    }
  }

  get enabled(): boolean {
    return this.dataSource !== undefined;
  }

  check(): PromiseLike<HealthIndicatorResult> {
    const dataSource = this.dataSource;
    const attempt = this.indicator.check(this.key).attempt(async () => {
      if (!dataSource?.isInitialized) throw new Error('the DataSource is not initialised');
      await dataSource.query('SELECT 1');
    });
    return withPolicy(attempt, this.options);
  }
}

