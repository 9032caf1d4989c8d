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

  /**
   * Ingest: committed waybill states kept in memory between batches (~10–20 KB each with their text). A hit saves
   * reading the snapshot and folding its journal; 0 turns the cache off.
   */
  INGEST_STATE_CACHE_ENTRIES: z.coerce.number().int().min(0).default(50_000),
  /** How far behind the newest processed event time the event-time clock (watermark) runs. */
  WATERMARK_LATENESS_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Outbox relay poll interval when idle. */
  OUTBOX_POLL_MS: positiveInt(200),
  /**
   * Deadline timer jobs taken at once. A job only waits for the sweep that judges its deadline (the sweeps' own
   * transactions are bounded apart), so many cost little and let a burst's jobs be looked up together.
   */
  DEADLINE_CONCURRENCY: positiveInt(256),
  RECONCILE_INTERVAL_SECONDS: positiveInt(300),
  /** A due deadline is judged once the watermark passed it, or once the stream has been quiet this long. */
  DEADLINE_IDLE_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
  /**
   * While ingest has messages left to apply, due deadlines it has not reached wait for it; if it makes no progress
   * at all for this long (stopped, crash-looping), they are judged anyway — a stopped consumer cannot hold deadlines
   * back for ever, but a restart or a rebalance must not turn its backlog into false overdues.
   */
  DEADLINE_STALLED_INGEST_SECONDS: z.coerce.number().int().min(0).default(900),
});

export type AppEnv = z.infer<typeof envSchema>;

/**
 * Notifier settings. Every channel is optional: a notification whose channel has no provider configured is
 * recorded as UNROUTED (and raised as an ops alert). Rates are per gateway and shared by the whole process.
 */
export const notifierEnvSchema = z
  .object({
    /** SMS gateway (JSON over HTTP, `Idempotency-Key` honoured): customer, sender, courier and staff SMS. */
    SMS_GATEWAY_URL: urlWithScheme(['http', 'https']).optional(),
    SMS_GATEWAY_KEY: z.string().min(1).optional(),
    SMS_GATEWAY_RATE_PER_SECOND: z.coerce.number().positive().default(50),
    /**
     * Relay for staff e-mail when SMTP is not configured, and the default target of WEBHOOK notifications;
     * per-site webhooks come from the policy (`sites.<code>.webhookUrl`).
     */
    STAFF_WEBHOOK_URL: urlWithScheme(['http', 'https']).optional(),
    /** Per webhook host (each site's system is its own gateway). */
    WEBHOOK_RATE_PER_SECOND: z.coerce.number().positive().default(20),
    /** Staff e-mail (supervisor, finance, reconciliation, CS, complaint tickets): `smtp://user:pass@host:587` or `smtps://…`. */
    SMTP_URL: urlWithScheme(['smtp', 'smtps']).optional(),
    /** Sender of every e-mail, e.g. `Courier Alerts <alerts@example.com>`; required with SMTP_URL. */
    SMTP_FROM: z.string().min(3).optional(),
    SMTP_RATE_PER_SECOND: z.coerce.number().positive().default(10),
    /** Where ops alerts (notifications that could not be delivered) are pushed; without it they are stored for HQ. */
    OPS_ALERT_WEBHOOK_URL: urlWithScheme(['http', 'https']).optional(),
    NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(6),
    /** Retry n waits a random time in [0, min(NOTIFY_BACKOFF_MAX_MS, NOTIFY_BACKOFF_MS * 2^(n-1))] (full jitter). */
    NOTIFY_BACKOFF_MS: z.coerce.number().int().min(1).default(500),
    NOTIFY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(300_000),
    /** One provider call's time limit. */
    NOTIFY_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    /** How long a claimed (SENDING) row is left alone before it counts as abandoned by a crashed process. */
    NOTIFY_CLAIM_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
    /** How often the notification table is swept for due rows (retries, held SMS, lost intents, crashes). */
    NOTIFY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
    /** Deliveries in flight at once, per sweep and per intent batch. */
    NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  })
  .superRefine((env, ctx) => {
    if (env.SMTP_URL && !env.SMTP_FROM) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: 'is required when SMTP_URL is set' });
    }
    // A lease shorter than a send would let a second process claim a row whose first send is still in flight.
    if (env.NOTIFY_CLAIM_LEASE_MS <= 2 * env.NOTIFY_SEND_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFY_CLAIM_LEASE_MS'],
        message: `must be more than twice NOTIFY_SEND_TIMEOUT_MS (${env.NOTIFY_SEND_TIMEOUT_MS} ms)`,
      });
    }
    if (env.NOTIFY_BACKOFF_MAX_MS < env.NOTIFY_BACKOFF_MS) {
      ctx.addIssue({ code: 'custom', path: ['NOTIFY_BACKOFF_MAX_MS'], message: 'must not be less than NOTIFY_BACKOFF_MS' });
    }
  });
export type NotifierEnv = z.infer<typeof notifierEnvSchema>;
