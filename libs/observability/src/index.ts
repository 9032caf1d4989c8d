// Observability for every service: masked JSON logging (pino), Prometheus metrics, health checks.

export { maskPii, maskPhone, maskName, maskAddress, maskEmail, maskText, piiKindOfField, isPiiFieldName, type PiiKind } from './pii/mask.js';

export { createLogger, createPinoOptions, resolveLogLevel, type LoggingOptions } from './logging/pino-options.js';
export { LoggingModule, type LoggingModuleOptions } from './logging/logging.module.js';
// The injectables LoggingModule provides, so that apps import logging from one place.
export { Logger, PinoLogger, InjectPinoLogger } from 'nestjs-pino';

export { Metrics, type MetricsOptions, type MetricDefinition, type HistogramDefinition } from './metrics/metrics.service.js';
export { MetricsModule } from './metrics/metrics.module.js';
export { MetricsController } from './metrics/metrics.controller.js';

export { HealthModule, type HealthModuleOptions, type BuiltInHealthCheck } from './health/health.module.js';
export { HealthController } from './health/health.controller.js';
export { HEALTH_OPTIONS, type DependencyHealthCheck, type ResolvedHealthOptions } from './health/health-check.js';
export { PostgresHealthCheck } from './health/checks/postgres.health.js';
export { RedisHealthCheck } from './health/checks/redis.health.js';
export { KafkaHealthCheck } from './health/checks/kafka.health.js';
export { runService, type ServiceSpec } from './run-service.js';
