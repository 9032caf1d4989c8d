import type { Provider } from '@nestjs/common';
import { notifierEnvSchema, type NotifierEnv } from '#config';

export const NOTIFIER_ENV = Symbol('NOTIFIER_ENV');

export const notifierEnvProvider: Provider = {
  provide: NOTIFIER_ENV,
  useFactory: (): NotifierEnv => {
    const parsed = notifierEnvSchema.safeParse(process.env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`Invalid notifier configuration: ${problems}`);
    }
    return parsed.data;
  },
};
