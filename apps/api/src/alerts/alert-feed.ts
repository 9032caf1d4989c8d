import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import { Subject, type Observable } from 'rxjs';
import { APP_ENV, CLOCK, TOPICS, type AppEnv, type Clock, type Topics } from '#config';
import { KAFKA } from '#messaging';
import { ApiMetrics } from '../api.metrics.js';
import { seesSites, type Principal } from '../auth/principal.js';
import { alertFromCaseMessage, alertFromNotificationMessage, CaseStateMemory, type Alert } from './alerts.js';

/** How many recent alerts are kept for a page that just opened. */
const RECENT_ALERTS = 200;
/** Longest wait at shutdown for the consumer's group join to settle. */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * Live alerts for the staff API, fed by `courier.case.v1` and `courier.notification.v1`.
 *
 * Each API instance consumes with a consumer group of its own, starting at the end of the topics: every instance
 * sees every message (its clients may be anyone), and a restart shows what happens from then on — alerts are a
 * live view, the case list is the record.
 */
@Injectable()
export class AlertFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(AlertFeed.name);
  private readonly subject = new Subject<Alert>();
  private readonly recentAlerts: Alert[] = [];
  private readonly memory = new CaseStateMemory();
  private consumer: Consumer | null = null;
  private starting: Promise<void> | null = null;
  private joined!: () => void;
  /** Resolves once the consumer has joined its group (tests wait for it before producing). */
  readonly ready = new Promise<void>((resolve) => (this.joined = resolve));
  readonly groupId: string;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: Topics,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: ApiMetrics,
    @Inject(APP_ENV) env: AppEnv,
  ) {
    this.groupId = `${env.KAFKA_GROUP_PREFIX}.api-alerts.${hostname()}.${process.pid}.${randomUUID().slice(0, 8)}`;
  }

  get alerts$(): Observable<Alert> {
    return this.subject.asObservable();
  }

  /** The latest alerts the principal may see, newest first. */
  recent(principal: Principal, limit = 50): Alert[] {
    const visible: Alert[] = [];
    for (let i = this.recentAlerts.length - 1; i >= 0 && visible.length < limit; i--) {
      const alert = this.recentAlerts[i]!;
      if (seesSites(principal, alert.sites)) visible.push(alert);
    }
    return visible;
  }

  onApplicationBootstrap(): void {
    // Not awaited: the API serves requests while the consumer joins (a broker outage must not stop the API).
    this.starting = this.start().catch((error: Error) => this.log.error(`alert consumer stopped: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.subject.complete();
    // Let a join in progress finish first (kafkajs cannot abort one cleanly), but never wait on a broker that is away.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // Alerts are for people watching: a fetch returns within 0.1 s even on a broker that ignores minBytes.
      maxWaitTimeInMs: 100,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.joined());
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topics.case, this.topics.notification], fromBeginning: false });
    await consumer.run({
      // Offsets matter little to a group nobody else uses; auto-commit keeps a rebalance from replaying much.
      autoCommit: true,
      eachMessage: async ({ topic, partition, message }) => {
        if (!message.value) return;
        let value: unknown;
        try {
          value = JSON.parse(message.value.toString('utf8'));
        } catch {
          return; // not ours to reject: the producer's DLQ concerns input topics only
        }
        const id = `${topic}/${partition}/${message.offset}`;
        const now = this.clock.now();
        const alert =
          topic === this.topics.case ? alertFromCaseMessage(id, value, this.memory, now) : alertFromNotificationMessage(id, value, now);
        if (alert) this.publish(alert);
      },
    });
  }

  private publish(alert: Alert): void {
    this.recentAlerts.push(alert);
    if (this.recentAlerts.length > RECENT_ALERTS) this.recentAlerts.shift();
    this.metrics.alertsDelivered.inc({ type: alert.type });
    this.subject.next(alert);
  }
}
