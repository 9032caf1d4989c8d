import { Logger as NestLogger, Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { InvalidConfigurationError, loadEnv, type AppEnv } from '#config';
import { LoggingModule } from './logging/logging.module.js';

export interface ServiceSpec {
  name: string;
  module: Type<unknown>;
  defaultPort: number;
  /** Attaches transports (Kafka consumers) before the app starts listening. */
  beforeListen?: (app: INestApplication, env: AppEnv) => Promise<void>;
}

/**
 * Common start-up for every app: validate the environment first (a bad value stops the process
 * with a message naming the variable, before anything connects), log through pino with PII
 * masking, and enable shutdown hooks so SIGTERM drains consumers and workers.
 */
export async function runService(spec: ServiceSpec): Promise<INestApplication> {
  let env: AppEnv;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof InvalidConfigurationError) {
      console.error(`${spec.name}: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = new NestLogger(spec.name);
  // node-postgres names its connections from PGAPPNAME: pg_stat_activity (and an operator's top) then shows which
  // app each PostgreSQL backend serves.
  process.env.PGAPPNAME ??= spec.name;
  try {
    class ServiceRoot {}
    Module({ imports: [LoggingModule.forRoot({ app: spec.name, level: env.LOG_LEVEL }), spec.module] })(ServiceRoot);
    const app = await NestFactory.create(ServiceRoot, { bufferLogs: true });
    app.useLogger(app.get(Logger));
    app.enableShutdownHooks();
    await spec.beforeListen?.(app, env);
    // HTTP first: /health and /metrics answer while the consumers join their groups (which can take a
    // session timeout after a crash of the previous member).
    const port = env.HTTP_PORT ?? spec.defaultPort;
    await app.listen(port, '0.0.0.0');
    await app.startAllMicroservices();
    logger.log(`${spec.name} listening on http://127.0.0.1:${port}`);
    return app;
  } catch (error) {
    logger.error(`${spec.name} failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
}
