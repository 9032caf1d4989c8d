import pg from 'pg';
import { Redis } from 'ioredis';
import { resetDatabase, withClient } from '../support/database.js';
import { consumerLag } from '#messaging';
import { testKafka, uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from '../support/processes.js';
import { localTime } from '../support/events.js';
import { EngineFeed } from './support/engine-feed.js';
import { metricValue, TimerProbe } from './support/timers.js';
import { complaint, deadlineId, unregisteredFailedDelivery } from './support/scenarios.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/courier_test_deadlines';
const REDIS_URL = 'redis://127.0.0.1:6379/5';

async function rows<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(async (client) => (await client.query(sql, params)).rows as T[], DATABASE_URL);
}

const statusOf = async (id: string) => (await rows<{ status: string }>(`SELECT status FROM deadline WHERE deadline_id = $1`, [id]))[0]?.status;
const recordsOf = async (id: string) =>
  (await rows<{ kind: string }>(`SELECT kind FROM liability_record WHERE deadline_id = $1`, [id])).map((r) => r.kind);

/**
 * Crashes and losses: the worker killed mid-judgement, Redis emptied. PostgreSQL is the source of truth; BullMQ's
 * stalled-job check and the reconciler (every 2 s here) must bring every timer back, and every deadline must
 * be judged exactly once.
 */
describe('deadline service recovery', () => {
  const prefix = uniquePrefix('dlr');
  const ingestGroup = `${prefix}.ingest`;
  const env = {
    DATABASE_URL,
    REDIS_URL,
    TOPIC_PREFIX: prefix,
    KAFKA_GROUP_PREFIX: prefix,
    POLICY_FILE: 'config/policy.default.json',
    DEADLINE_IDLE_GRACE_SECONDS: '120',
    RECONCILE_INTERVAL_SECONDS: '2',
    LOG_LEVEL: 'warn',
  };
  let app: RunningApp | undefined;
  let feed: EngineFeed;
  let timers: TimerProbe;
  const laggingIngest = () => feed.ingestProgress(ingestGroup, { behind: true, newestEventTime: localTime(1, '15:00') });
  // Caught up with the present: the event-time clock has passed every deadline due before now (less the lateness).
  const caughtUpIngest = () => feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: new Date().toISOString() });
  /** No deadline intent waits in the outbox or on the topic for the deadline service. */
  const intentsSettled = async () => {
    const [{ unpublished }] = await rows<{ unpublished: number }>(`SELECT count(*)::int AS unpublished FROM outbox WHERE published_at IS NULL`);
    if (unpublished > 0) return false;
    const admin = testKafka('dlr-lag').admin();
    await admin.connect();
    try {
      const lags = await consumerLag(admin, `${prefix}.deadlines`, [`${prefix}courier.deadline-intent.v1`]);
      return lags.length > 0 && lags.every((p) => p.lag === 0);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    await resetDatabase(DATABASE_URL);
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    feed = await EngineFeed.open(DATABASE_URL);
    timers = new TimerProbe(REDIS_URL);
    app = await startApp('deadlines', env, freePort());
  }, 60_000);

  afterAll(async () => {
    await stopApp(app);
    await feed?.close();
    await timers?.close();
  });

  it('judges a deadline exactly once when the worker is killed between the timer firing and its transaction', async () => {
    // The event-time clock holds the due timer back until its waybill's row is locked below.
    await laggingIngest();
    const waybill = await unregisteredFailedDelivery(feed, 'DLKILL');
    const d4 = deadlineId(waybill, 'FAILED_DELIVERY', 'D4', 'a1');
    await eventually(async () => ((await timers.job(d4))?.attemptsStarted ?? 0) >= 1, 30_000);

    const blocker = new pg.Client({ connectionString: DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM waybill_state WHERE waybill_no = $1 FOR UPDATE`, [waybill]);
      await caughtUpIngest();
      // The timer fires for real: its judgement transaction has started and waits for the waybill's lock.
      await eventually(async () => {
        const waiting = await rows(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%waybill_state%FOR UPDATE%'`,
        );
        return waiting.length === 1 && (await timers.state(d4)) === 'active';
      }, 20_000);

      app!.process.kill('SIGKILL');
      await app!.exited;
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await statusOf(d4)).toBe('PENDING');
    expect(await recordsOf(d4)).toEqual([]);

    // Restarted, BullMQ finds the job stalled (its lock expired with the process) and runs it again.
    app = await startApp('deadlines', env, freePort());
    await eventually(async () => (await statusOf(d4)) === 'MISSED', 75_000, 500);
    await eventually(async () => (await timers.state(d4)) === null, 15_000);
    await sleep(3000); // another reconcile round: nothing fires twice
    expect(await recordsOf(d4)).toEqual(['RECORD']);
    const overdueAlerts = await rows(`SELECT 1 FROM notification WHERE case_id = $1 AND kind = 'OVERDUE'`, [`${waybill}-FAILED_DELIVERY-1`]);
    expect(overdueAlerts).toHaveLength(1);
  }, 150_000);

  it('restores every pending deadline after FLUSHDB, and the past-due ones fire', async () => {
    // The event-time clock only moves forward (the newest event time is kept): forget the previous test's
    // caught-up ingest, or its clock (now) would judge this test's past-due deadlines before the flush.
    await rows(`DELETE FROM consumer_offset WHERE group_id = $1`, [ingestGroup]);
    await laggingIngest();
    try {
      // Two past-due D4s (held back by the lagging clock) and a complaint's three future deadlines.
      const failed = [await unregisteredFailedDelivery(feed, 'DLFLA'), await unregisteredFailedDelivery(feed, 'DLFLB')];
      const pastDue = failed.map((w) => deadlineId(w, 'FAILED_DELIVERY', 'D4', 'a1'));
      const complaintWaybill = await complaint(feed, 'DLFLC', Date.now() - 3_600_000);
      const future = ['C1', 'C2', 'C3'].map((rule) => deadlineId(complaintWaybill, 'COMPLAINT', rule));
      const pending = async () =>
        (await rows<{ deadline_id: string }>(`SELECT deadline_id FROM deadline WHERE status = 'PENDING' ORDER BY 1`)).map((r) => r.deadline_id);
      const armed = async (ids: string[]) => (await Promise.all(ids.map((id) => timers.state(id)))).every((s) => s !== null);

      expect(await pending()).toEqual(expect.arrayContaining([...pastDue, ...future]));
      await eventually(async () => armed(await pending()), 30_000);
      await eventually(async () => (await Promise.all(pastDue.map((id) => timers.job(id)))).every((j) => (j?.attemptsStarted ?? 0) >= 1), 20_000);

      // Let every intent land — relayed from the outbox and consumed by the deadline service — and a reconcile
      // round pass: from here on only the reconciler can re-arm. (A fixed pause was not enough on a busy machine.)
      await eventually(intentsSettled, 30_000);
      await sleep(3000);
      const rearmedBefore = await metricValue(app!.port, 'courier_deadline_reconcile_total', { kind: 'rearmed' });
      await timers.redis.flushdb();

      const everyPending = await pending();
      await eventually(async () => armed(everyPending), 20_000);
      // The reconciler counts a round's re-armed timers after its Redis script returned: read until it has.
      const rearmed = () => metricValue(app!.port, 'courier_deadline_reconcile_total', { kind: 'rearmed' });
      await eventually(async () => (await rearmed()) - rearmedBefore >= everyPending.length, 10_000).catch(() => undefined);
      expect((await rearmed()) - rearmedBefore).toBeGreaterThanOrEqual(everyPending.length);

      await caughtUpIngest();
      await eventually(async () => (await Promise.all(pastDue.map(statusOf))).every((s) => s === 'MISSED'), 30_000);
      for (const id of pastDue) expect(await recordsOf(id)).toEqual(['RECORD']);
      expect(await Promise.all(future.map(statusOf))).toEqual(['PENDING', 'PENDING', 'PENDING']);
      expect(await Promise.all(future.map((id) => timers.state(id)))).toEqual(['delayed', 'delayed', 'delayed']);
    } finally {
      await caughtUpIngest();
    }
  }, 120_000);
});
