import type { AppEnv } from './env.schema.js';

/** Topic names of events.md plus the internal intent topics the outbox relay feeds. */
export const TOPIC_NAMES = {
  scan: 'courier.scan.v1',
  exception: 'courier.exception.v1',
  reply: 'courier.reply.v1',
  action: 'courier.action.v1',
  /** Internal: HQ's review commands on liability records (published by the API, applied by ingest). */
  hqReview: 'courier.hq-review.v1',
  /** Internal: evidence stored through the API (its hash; published by the API, applied by ingest). */
  evidence: 'courier.evidence.v1',
  case: 'courier.case.v1',
  notification: 'courier.notification.v1',
  dlq: 'courier.dlq.v1',
  deadlineIntent: 'courier.deadline-intent.v1',
  notificationIntent: 'courier.notification-intent.v1',
} as const;

export type TopicRole = keyof typeof TOPIC_NAMES;
export type Topics = Record<TopicRole, string>;

/**
 * What the ingest service consumes. The deadline service reads the brokers' end offsets of the same topics to know
 * whether ingest still has messages to apply (its event-time clock), so both take the list from here.
 */
export const INGEST_INPUT_ROLES = ['scan', 'exception', 'reply', 'action', 'hqReview', 'evidence'] as const satisfies readonly TopicRole[];

export function topicsFor(env: Pick<AppEnv, 'TOPIC_PREFIX'>): Topics {
  const entries = Object.entries(TOPIC_NAMES).map(([role, name]) => [role, `${env.TOPIC_PREFIX}${name}`]);
  return Object.fromEntries(entries) as Topics;
}
