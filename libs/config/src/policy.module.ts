import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { loadPolicy, type Policy } from '#domain';
import { APP_ENV } from './config.module.js';
import type { AppEnv } from './env.schema.js';

export const POLICY = Symbol('POLICY');

/** Reads and validates the network policy file once at start-up; an invalid file stops the app. */
export function readPolicyFile(path: string): Policy {
  const absolute = resolve(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(absolute, 'utf8'));
  } catch (error) {
    throw new Error(`POLICY_FILE (${absolute}): ${(error as Error).message}`);
  }
  return loadPolicy(json, absolute);
}

@Global()
@Module({
  providers: [{ provide: POLICY, inject: [APP_ENV], useFactory: (env: AppEnv) => readPolicyFile(env.POLICY_FILE) }],
  exports: [POLICY],
})
export class PolicyModule {}
