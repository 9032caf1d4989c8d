import { Global, Module } from '@nestjs/common';
import { loadEnv } from './load-env.js';
import type { AppEnv } from './env.schema.js';
import { topicsFor, type Topics } from './topics.js';
import { CLOCK, systemClock } from './clock.js';

export const APP_ENV = Symbol('APP_ENV');
export const TOPICS = Symbol('TOPICS');

/** Validated configuration for every app: inject with `@Inject(APP_ENV) env: AppEnv`. */
@Global()
@Module({
  providers: [
    { provide: APP_ENV, useFactory: (): AppEnv => loadEnv() },
    { provide: TOPICS, useFactory: (env: AppEnv): Topics => topicsFor(env), inject: [APP_ENV] },
    { provide: CLOCK, useValue: systemClock },
  ],
  exports: [APP_ENV, TOPICS, CLOCK],
})
export class ConfigModule {}
