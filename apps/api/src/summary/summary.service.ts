import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Admin, Kafka } from 'kafkajs';
import type { Gauge } from 'prom-client';
import { APP_ENV, CLOCK, TOPICS, type AppEnv, type Clock, type Topics } from '#config';
import { KAFKA, consumerLag, type PartitionLag } from '#messaging';
import { StreamProgressRepository } from '#persistence';
import { Metrics } from '#observability';

export interface OpsSummary {
  generatedAt: string;
  casesByClass: { caseClass: string; open: number; total: number }[];
  overdueByRule: { rule: string; missed: number; retracted: number }[];
  /** Per class: missed deadlines not retracted (all time, as by rule and by site), and open cases with a liability in force. */
  overdueByClass: { caseClass: string; missed: number; openOverdue: number }[];
  /** Missed deadlines in force (not retracted), per liable site: the 20 sites with most. */
  overdueBySite: { siteCode: string; missed: number }[];
  /** Liability records in force (not retracted, not cancelled by HQ), per party after HQ reassignments. */
  liabilityByParty: { party: string; records: number }[];
  notificationsByStatus: { channel: string; status: string; count: number }[];
  dlq: { total: number; latest: { topic: string; reason: string; receivedAt: string }[] };
  pendingDeadlines: number;
  outboxBacklog: number;
  /**
   * Ingest's event-time clock: `watermark` is where the slowest partition still behind stands (the newest event
   * time once every partition has caught up), `newest` the newest event time applied, `updatedAt` the last batch.
   */
  eventTime: { watermark: string | null; newest: string | null; updatedAt: string | null };
  /** Per hour of event time, the 24 hours up to the latest activity: cases opened and deadlines missed. */
  trend: { hour: string; opened: number; missed: number }[];
  /** Input events per second arriving on the input topics and committed by ingest, between the last two samples. */
  throughput: { incomingPerSecond: number; ingestedPerSecond: number; sampledSeconds: number } | null;
  lag: PartitionLag[];
  /** Why lag could not be read (brokers unreachable), else null. */
  lagError: string | null;
}

/**
 * The deadlines whose miss is an overdue (rules §3): not the hub dwell timer (it opens HELD_AT_HUB) nor the steps of
 * the escalation ladder (they follow an overdue), which the deadline table keeps beside them.
 */
const OVERDUE_RULES = (table: string) => `${table}.rule <> 'DWELL' AND ${table}.rule NOT LIKE 'ESC%'`;

/** Summaries are shared by every dashboard and the /metrics scrape for this long (one DB and broker round each). */
const CACHE_MS = 2_000;

interface OffsetSample {
  at: number;
  incoming: number;
  ingested: number;
}

/** The figures ops watch, read straight from PostgreSQL (the source of truth) and the brokers. */
@Injectable()
export class SummaryService implements OnApplicationShutdown {
  private readonly log = new Logger(SummaryService.name);
  private admin: Admin | null = null;
  private cached: { at: number; summary: Promise<OpsSummary> } | null = null;
  private previousSample: OffsetSample | null = null;
  private lastThroughput: OpsSummary['throughput'] = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: Topics,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.exportMetrics(metrics);
  }

  /** The current summary; concurrent callers within {@link CACHE_MS} share one computation. */
  summary(): Promise<OpsSummary> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const summary = this.compute();
      this.cached = { at: now, summary };
      summary.catch(() => (this.cached = null));
    }
    return this.cached.summary;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }

  private async compute(): Promise<OpsSummary> {
    const q = <T>(sql: string, params: unknown[] = []) => this.dataSource.query(sql, params) as Promise<T[]>;
    const [casesByClass, overdueByRule, overdueByClass, overdueBySite, liabilityByParty, notificationsByStatus, dlqTotal, dlqLatest, pending, clock, outbox] =
      await Promise.all([
        q<{ caseClass: string; open: number; total: number }>(
          `SELECT case_class AS "caseClass", count(*) FILTER (WHERE state NOT IN ('RESOLVED','CLOSED'))::int AS open,
                  count(*)::int AS total FROM problem_case GROUP BY 1 ORDER BY 1`,
        ),
        q<{ rule: string; missed: number; retracted: number }>(
          `SELECT rule, count(*)::int AS missed, count(*) FILTER (WHERE status = 'RETRACTED')::int AS retracted
             FROM deadline WHERE status IN ('MISSED','RETRACTED') AND ${OVERDUE_RULES('deadline')} GROUP BY 1 ORDER BY 1`,
        ),
        q<{ caseClass: string; missed: number; openOverdue: number }>(
          `WITH missed AS (
             SELECT c.case_class, count(*)::int AS n FROM deadline d JOIN problem_case c ON c.case_id = d.case_id
              WHERE d.status = 'MISSED' AND ${OVERDUE_RULES('d')} GROUP BY 1),
           open_overdue AS (
             SELECT case_class, count(*)::int AS n FROM problem_case
              WHERE overdue AND state NOT IN ('RESOLVED','CLOSED') GROUP BY 1)
           SELECT case_class AS "caseClass", coalesce(m.n, 0) AS missed, coalesce(o.n, 0) AS "openOverdue"
             FROM missed m FULL JOIN open_overdue o USING (case_class) ORDER BY 2 DESC, 3 DESC, 1`,
        ),
        q<{ siteCode: string; missed: number }>(
          `SELECT site_code AS "siteCode", count(*)::int AS missed FROM deadline
            WHERE status = 'MISSED' AND site_code IS NOT NULL AND ${OVERDUE_RULES('deadline')} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`,
        ),
        q<{ party: string; records: number }>(
          `WITH latest_review AS (
             SELECT DISTINCT ON (refers_to) refers_to, party, review_outcome FROM liability_record
              WHERE kind = 'HQ_REVIEW' ORDER BY refers_to, recorded_at DESC, inserted_at DESC)
           SELECT coalesce(v.party, r.party) AS party, count(*)::int AS records
             FROM liability_record r LEFT JOIN latest_review v ON v.refers_to = r.record_id
            WHERE r.kind = 'RECORD' AND v.review_outcome IS DISTINCT FROM 'CANCEL'
              AND NOT EXISTS (SELECT 1 FROM liability_record x WHERE x.refers_to = r.record_id AND x.kind = 'RETRACTION')
            GROUP BY 1 ORDER BY 1`,
        ),
        q<{ channel: string; status: string; count: number }>(
          `SELECT channel, status, count(*)::int AS count FROM notification GROUP BY 1, 2 ORDER BY 1, 2`,
        ),
        q<{ total: number }>(`SELECT count(*)::int AS total FROM dlq_record`),
        q<{ topic: string; reason: string; receivedAt: string }>(
          `SELECT topic, reason, received_at AS "receivedAt" FROM dlq_record ORDER BY id DESC LIMIT 10`,
        ),
        q<{ n: number }>(`SELECT count(*)::int AS n FROM deadline WHERE status = 'PENDING'`),
        StreamProgressRepository.eventClock(this.dataSource, `${this.env.KAFKA_GROUP_PREFIX}.ingest`),
        q<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`),
      ]);
    const [trend, lag] = await Promise.all([this.trend(clock.newest), this.lag()]);
    return {
      generatedAt: this.clock.now().toISOString(),
      casesByClass,
      overdueByRule,
      overdueByClass,
      overdueBySite,
      liabilityByParty,
      notificationsByStatus,
      dlq: { total: dlqTotal[0]?.total ?? 0, latest: dlqLatest },
      pendingDeadlines: pending[0]?.n ?? 0,
      outboxBacklog: outbox[0]?.n ?? 0,
      eventTime: {
        watermark: (clock.lowWatermark ?? clock.newest)?.toISOString() ?? null,
        newest: clock.newest?.toISOString() ?? null,
        updatedAt: clock.lastActivity?.toISOString() ?? null,
      },
      trend,
      throughput: lag.ok ? this.throughput(lag.partitions) : this.lastThroughput,
      lag: lag.ok ? lag.partitions : [],
      lagError: lag.ok ? null : lag.error,
    };
  }

  /**
   * Hourly buckets of event time ending at the latest case opened or deadline missed, never after the newest event
   * applied: live, that is the current hour; for a replayed past day, its busy hours (not the sparse tail of late
   * returns and replies days later).
   */
  private async trend(newest: Date | null): Promise<OpsSummary['trend']> {
    const [{ end }] = (await this.dataSource.query(
      // PostgreSQL's least/greatest skip NULLs: no events yet, or no cases, still give an end.
      `SELECT date_trunc('hour', coalesce(least($1::timestamptz, greatest(
          (SELECT max(opened_at) FROM problem_case),
          (SELECT max(due_at) FROM deadline WHERE status = 'MISSED' AND ${OVERDUE_RULES('deadline')}))), now())) + interval '1 hour' AS end`,
      [newest],
    )) as { end: Date }[];
    const start = new Date(end.getTime() - 24 * 3_600_000);
    const range = [start, end];
    const [opened, missed] = (await Promise.all([
      this.dataSource.query(
        `SELECT date_trunc('hour', opened_at) AS hour, count(*)::int AS n FROM problem_case
          WHERE opened_at >= $1 AND opened_at < $2 GROUP BY 1`,
        range,
      ),
      this.dataSource.query(
        `SELECT date_trunc('hour', due_at) AS hour, count(*)::int AS n FROM deadline
          WHERE status = 'MISSED' AND ${OVERDUE_RULES('deadline')} AND due_at >= $1 AND due_at < $2 GROUP BY 1`,
        range,
      ),
    ])) as { hour: Date; n: number }[][];
    const byHour = (rows: { hour: Date; n: number }[]) => new Map(rows.map((row) => [row.hour.getTime(), row.n]));
    const openedByHour = byHour(opened!);
    const missedByHour = byHour(missed!);
    return Array.from({ length: 24 }, (_, i) => {
      const hour = start.getTime() + i * 3_600_000;
      return { hour: new Date(hour).toISOString(), opened: openedByHour.get(hour) ?? 0, missed: missedByHour.get(hour) ?? 0 };
    });
  }

  private async lag(): Promise<{ ok: true; partitions: PartitionLag[] } | { ok: false; error: string }> {
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const prefix = this.env.KAFKA_GROUP_PREFIX;
      const t = this.topics;
      const partitions = [
        ...(await consumerLag(this.admin, `${prefix}.ingest`, [t.scan, t.exception, t.reply, t.action, t.hqReview, t.evidence])),
        ...(await consumerLag(this.admin, `${prefix}.deadlines`, [t.deadlineIntent])),
        ...(await consumerLag(this.admin, `${prefix}.notifier`, [t.notificationIntent])),
      ];
      return { ok: true, partitions };
    } catch (error) {
      const message = (error as Error).message;
      this.log.warn(`consumer lag unavailable: ${message}`);
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
      return { ok: false, error: message };
    }
  }

  /** Events/s from the change of the input topics' end offsets and of ingest's committed offsets since the last sample. */
  private throughput(partitions: PartitionLag[]): OpsSummary['throughput'] {
    const ingestGroup = `${this.env.KAFKA_GROUP_PREFIX}.ingest`;
    const input = partitions.filter((p) => p.groupId === ingestGroup);
    const sample: OffsetSample = {
      at: Date.now(),
      incoming: input.reduce((sum, p) => sum + p.latest, 0),
      ingested: input.reduce((sum, p) => sum + p.committed, 0),
    };
    const previous = this.previousSample;
    this.previousSample = sample;
    if (!previous || sample.at - previous.at < 1_000) return this.lastThroughput;
    const seconds = (sample.at - previous.at) / 1000;
    const rate = (delta: number) => Math.max(0, Math.round((delta / seconds) * 10) / 10);
    this.lastThroughput = {
      incomingPerSecond: rate(sample.incoming - previous.incoming),
      ingestedPerSecond: rate(sample.ingested - previous.ingested),
      sampledSeconds: Math.round(seconds * 10) / 10,
    };
    return this.lastThroughput;
  }

  /** Prometheus series read from the (cached) summary at scrape time: lag, events/s, DLQ, overdue, notifications. */
  private exportMetrics(metrics: Metrics): void {
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, s: OpsSummary) => void) => {
      const g: Gauge<L> = metrics.gauge({ name, help, labelNames });
      // prom-client calls `collect` before reading a metric at scrape time.
      Object.assign(g, {
        collect: async () => {
          try {
            const summary = await this.summary();
            g.reset();
            fill(g, summary);
          } catch {
            // Keep the last values: a scrape must not fail while PostgreSQL is briefly away (/health says so).
          }
        },
      });
    };
    gauge('courier_consumer_lag', 'Consumer lag per group, topic and partition (latest − committed offset)', ['group', 'topic', 'partition'], (g, s) => {
      for (const p of s.lag) g.set({ group: p.groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
    });
    gauge('courier_events_per_second', 'Input events per second: arriving on the input topics, and committed by ingest', ['stage'], (g, s) => {
      if (!s.throughput) return;
      g.set({ stage: 'incoming' }, s.throughput.incomingPerSecond);
      g.set({ stage: 'ingested' }, s.throughput.ingestedPerSecond);
    });
    gauge('courier_dlq_records', 'Input messages rejected to the DLQ (all time)', [], (g, s) => g.set(s.dlq.total));
    gauge('courier_missed_deadlines', 'Missed deadlines per rule; status RETRACTED when a late event showed them met', ['rule', 'status'], (g, s) => {
      for (const o of s.overdueByRule) {
        g.set({ rule: o.rule, status: 'MISSED' }, o.missed - o.retracted);
        g.set({ rule: o.rule, status: 'RETRACTED' }, o.retracted);
      }
    });
    gauge('courier_overdue_open_cases', 'Open cases with a liability in force, per class', ['class'], (g, s) => {
      for (const o of s.overdueByClass) g.set({ class: o.caseClass }, o.openOverdue);
    });
    gauge('courier_liability_records', 'Liability records in force per party (HQ reviews applied)', ['party'], (g, s) => {
      for (const l of s.liabilityByParty) g.set({ party: l.party }, l.records);
    });
    gauge('courier_notifications', 'Notifications per channel and outcome', ['channel', 'status'], (g, s) => {
      for (const n of s.notificationsByStatus) g.set({ channel: n.channel, status: n.status }, n.count);
    });
    gauge('courier_pending_deadlines', 'Deadlines armed and not yet met, missed or cancelled', [], (g, s) => g.set(s.pendingDeadlines));
  }
}
