import { envSchema, type AppEnv } from './env.schema.js';

export class InvalidConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigurationError';
  }
}

/**
 * Validates the environment once, at start-up. A bad value stops the app with a message that
 * names the variable, instead of failing later on first use.
 */
export function loadEnv(source: Record<string, string | undefined> = process.env): AppEnv {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const value = source[variable];
    const shown = value === undefined ? 'unset' : `"${value}"`;
    return `${variable} (${shown}): ${issue.message}`;
  });
  throw new InvalidConfigurationError(problems);
}
