import { z } from 'zod';

/** Comma-separated host:port list, e.g. `127.0.0.1:9092,127.0.0.1:9093`. */
const brokerList = z
  .string()
  .trim()
  .min(1, 'must list at least one broker as host:port')
  .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean))
  .refine((brokers) => brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), 'each broker must be host:port');

const urlWithScheme = (schemes: string[]) =>
  z.string().refine((value) => {
    try {
      return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
    } catch {
      return false;
    }
  }, `must be a URL with scheme ${schemes.join(' or ')}`);

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every setting the services read from the environment. Defaults work on a developer machine
 * (PostgreSQL and Redis on loopback); KAFKA_BROKERS has none: it comes from scripts/kafka-mock.sh
 * locally and from the deployment in production.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),

  DATABASE_URL: urlWithScheme(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/courier'),
  DATABASE_POOL_SIZE: positiveInt(10),
  REDIS_URL: urlWithScheme(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().min(1).default('courier'),
  /** Consumer groups are `${KAFKA_GROUP_PREFIX}.<service>`: lets tests and benches run isolated groups. */
  KAFKA_GROUP_PREFIX: z.string().min(1).default('courier'),
  /** Prefix added to every topic name: isolates test runs that share one broker. Empty in production. */
  TOPIC_PREFIX: z.string().default(''),

  POLICY_FILE: z.string().min(1).default('config/policy.default.json'),

  /** Ingest: most messages one kafkajs batch may hand to one transaction. */
  INGEST_MAX_BATCH: positiveInt(2000),
  /** How far behind the newest processed event time the event-time clock (watermark) runs. */
  WATERMARK_LATENESS_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Outbox relay poll interval when idle. */
  OUTBOX_POLL_MS: positiveInt(200),
  DEADLINE_CONCURRENCY: positiveInt(16),
  RECONCILE_INTERVAL_SECONDS: positiveInt(300),
  /** A due deadline is judged once the watermark passed it, or once the stream has been quiet this long. */
  DEADLINE_IDLE_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
});

export type AppEnv = z.infer<typeof envSchema>;

/** Notifier settings: each channel is optional; a notification whose channel is not configured is recorded as UNROUTED. */
export const notifierEnvSchema = z.object({
  SMS_GATEWAY_URL: z.string().url().optional(),
  SMS_GATEWAY_KEY: z.string().optional(),
  SMS_GATEWAY_RATE_PER_SECOND: z.coerce.number().positive().default(50),
  /** Where staff e-mail and sender notices go (an e-mail/webhook relay); per-site webhooks come from the policy. */
  STAFF_WEBHOOK_URL: z.string().url().optional(),
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(6),
  NOTIFY_BACKOFF_MS: z.coerce.number().int().min(1).default(500),
});
export type NotifierEnv = z.infer<typeof notifierEnvSchema>;
