import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { HEALTH_CHECKS, type DependencyHealthCheck } from './health-check.js';

/**
 * `GET /health`: 200 with `{ status: 'ok', details: { postgres: { status: 'up', ... }, ... } }` when every
 * dependency answers, 503 with the same shape (`status: 'error'`, the failing ones `down` with a message) otherwise.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HEALTH_CHECKS) private readonly checks: readonly DependencyHealthCheck[],
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check(this.checks.filter((check) => check.enabled !== false).map((check) => () => check.check()));
  }
}
