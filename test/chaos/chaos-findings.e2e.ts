import { join } from 'node:path';
import { resetDatabase, withClient } from '../support/database.js';
import { produce, testKafka, uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, ROOT, sleep, startApp, stopApp, type RunningApp } from '../support/processes.js';
import { localTime, message, scan, waybillNo } from '../support/events.js';
import { EngineFeed } from '../deadlines/support/engine-feed.js';
import { TimerProbe } from '../deadlines/support/timers.js';
import { complaint, deadlineId, failureRegistration, unregisteredFailedDelivery } from '../deadlines/support/scenarios.js';
import { freeTcpPort, OwnRedis } from '../../scripts/chaos/infra.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/courier_test_chaos_findings';

const rows = <T>(sql: string, params: unknown[] = []) => withClient(async (c) => (await c.query(sql, params)).rows as T[], DATABASE_URL);
const statusOf = async (id: string) => (await rows<{ status: string }>(`SELECT status FROM deadline WHERE deadline_id = $1`, [id]))[0]?.status;
const recordsOf = async (id: string) =>
  (await rows<{ kind: string }>(`SELECT kind FROM liability_record WHERE deadline_id = $1 ORDER BY kind`, [id])).map((r) => r.kind);

/**
 * What the chaos run (scripts/chaos, docs/RELIABILITY.md) found, pinned down one by one against the deadline service
 * as a process, with real PostgreSQL and Kafka and a Redis of the test's own (the machine's is shared).
 */
describe('deadline service: findings of the chaos run', () => {
  const prefix = uniquePrefix('cf');
  const ingestGroup = `${prefix}.ingest`;
  let redis: OwnRedis;
  let app: RunningApp | undefined;
  let feed: EngineFeed;
  let timers: TimerProbe;

  /** Ingest at work: its progress rows are written every half second, as with a stream of batches. */
  const busyIngest = () => {
    const timer = setInterval(() => void rows(`UPDATE consumer_offset SET updated_at = now() WHERE group_id = $1`, [ingestGroup]), 500);
    return () => clearInterval(timer);
  };
  const d4Of = (waybill: string) => deadlineId(waybill, 'FAILED_DELIVERY', 'D4', 'a1');
  /** The timer ran and was put back to wait at least `times` times — or the deadline was judged. */
  const waitedOrJudged = (id: string, times: number) => async () =>
    ((await timers.job(id))?.attemptsStarted ?? 0) >= times || (await statusOf(id)) !== 'PENDING';

  beforeAll(async () => {
    await resetDatabase(DATABASE_URL);
    redis = new OwnRedis(await freeTcpPort(), join(ROOT, 'test-results', `redis-${prefix}`));
    await redis.start();
    feed = await EngineFeed.open(DATABASE_URL);
    timers = new TimerProbe(redis.url);
    app = await startApp(
      'deadlines',
      {
        DATABASE_URL,
        REDIS_URL: redis.url,
        TOPIC_PREFIX: prefix,
        KAFKA_GROUP_PREFIX: prefix,
        POLICY_FILE: 'config/policy.default.json',
        WATERMARK_LATENESS_SECONDS: '300',
        // A quiet, caught-up stream releases due deadlines after 3 s; a stalled consumer with a backlog after 15 min.
        DEADLINE_IDLE_GRACE_SECONDS: '3',
        DEADLINE_STALLED_INGEST_SECONDS: '900',
        // Only start-up and a detected Redis loss reconcile here, not the periodic pass.
        RECONCILE_INTERVAL_SECONDS: '3600',
        LOG_LEVEL: 'warn',
      },
      freePort(),
    );
  }, 90_000);

  afterAll(async () => {
    await stopApp(app);
    await feed?.close();
    await timers?.close();
    await redis?.stop();
  });

  /**
   * 1. The calm control run: a consumer that keeps up with a paced replay of a past day (or with a site uploading a
   * day of backlog) is "caught up" at every batch, and every due timer used to be judged by the wall clock whenever
   * ingest had caught up — hundreds of overdues that the next messages retracted, and HELD_AT_HUB cases opened by
   * dwell timers that the next scans contradicted. Rules §3: judged by event time. Caught up, the clock is the newest
   * event time applied (less the allowed lateness).
   */
  it('1. holds a deadline a caught-up replay of a past day has not reached, lets the next message meet it, misses one it has passed', async () => {
    await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '15:00') });
    const stopBusy = busyIngest();
    try {
      const met = await unregisteredFailedDelivery(feed, 'CFMET');
      const missed = await unregisteredFailedDelivery(feed, 'CFMISS');
      // Both D4s (yesterday 21:00) are past by the wall clock: their timers run, and wait again, more than once.
      for (const id of [d4Of(met), d4Of(missed)]) await eventually(waitedOrJudged(id, 2), 30_000);
      expect([await statusOf(d4Of(met)), await statusOf(d4Of(missed))]).toEqual(['PENDING', 'PENDING']);

      // The next message of the replay: the registration made yesterday 16:00 meets the first one in time.
      await feed.apply('exception', failureRegistration(met));
      await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '16:00') });
      expect(await statusOf(d4Of(met))).toBe('MET');

      // The replay reaches yesterday 23:00: the other one is judged missed, once.
      await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '23:00') });
      await eventually(async () => (await statusOf(d4Of(missed))) === 'MISSED', 30_000);
      await eventually(async () => (await timers.state(d4Of(missed))) === null, 15_000);
      expect(await recordsOf(d4Of(missed))).toEqual(['RECORD']);
      expect(await recordsOf(d4Of(met))).toEqual([]);
    } finally {
      stopBusy();
    }
  }, 120_000);

  /**
   * 2. The chaos run: ingest SIGKILLed while it had caught up stops writing progress — by its own last view it is
   * caught up and quiet — while messages keep arriving; a Kafka session timeout and a restart later it reads them.
   * Past the idle grace every due timer used to be judged by the wall clock meanwhile: false overdues for what the
   * waiting messages would have met. The brokers' end offsets show the backlog.
   */
  it('2. holds due deadlines while ingest is down with messages waiting on the brokers, past the idle grace', async () => {
    await rows(`DELETE FROM consumer_offset WHERE group_id = $1`, [ingestGroup]);
    const topic = `${prefix}courier.scan.v1`;
    // Two scans on one partition: ingest read the first, then died; the second waits on the broker.
    const other = waybillNo('CFLATER');
    await produce(topic, [
      message(scan(other, 'HUB_ARRIVAL', localTime(1, '15:00'), 'SHB001')),
      message(scan(other, 'HUB_DEPARTURE', localTime(1, '17:00'), 'SHB001', { nextSiteCode: 'SHB002' })),
    ]);
    const admin = testKafka('cf-admin').admin();
    await admin.connect();
    const loaded = (await admin.fetchTopicOffsets(topic)).find((p) => Number(p.high) > 0)!;
    await admin.disconnect();
    expect(Number(loaded.high)).toBe(2);
    // What it wrote with its last batch: caught up (offset 1 of 1), newest event yesterday 15:00 — a minute ago.
    await rows(
      `INSERT INTO consumer_offset (group_id, topic, partition, next_offset, high_watermark, max_event_time, updated_at)
       VALUES ($1, $2, $3, 1, 1, $4, now() - interval '1 minute')`,
      [ingestGroup, topic, loaded.partition, localTime(1, '15:00')],
    );
    await sleep(1500); // the service reads the end offsets at most once a second
    const waybill = await unregisteredFailedDelivery(feed, 'CFDOWN');

    // Quiet for a minute (the idle grace is 3 s), yet the D4 (yesterday 21:00) waits: the timer runs and waits again.
    await eventually(waitedOrJudged(d4Of(waybill), 4), 30_000);
    expect(await statusOf(d4Of(waybill))).toBe('PENDING');

    // Ingest is back and reads the backlog, with the registration made yesterday 16:00.
    await feed.apply('exception', failureRegistration(waybill));
    await rows(
      `UPDATE consumer_offset SET next_offset = 2, high_watermark = 2, max_event_time = $3, updated_at = now() WHERE group_id = $1 AND topic = $2`,
      [ingestGroup, topic, localTime(1, '17:00')],
    );
    expect(await statusOf(d4Of(waybill))).toBe('MET');
    expect(await recordsOf(d4Of(waybill))).toEqual([]);
  }, 90_000);

  /**
   * 3. FLUSHALL on the chaos run's Redis: the deadline service's connection stays up, so neither the start-up nor the
   * reconnect reconcile ran, and the timers of every pending deadline were gone until the periodic pass (5 min by
   * default). A marker that only a reconcile writes now tells within seconds.
   */
  it('3. re-arms every pending deadline within seconds when Redis loses its data under a live connection', async () => {
    const waybill = await complaint(feed, 'CFFLUSH', Date.now() - 3_600_000);
    const ids = ['C1', 'C2', 'C3'].map((rule) => deadlineId(waybill, 'COMPLAINT', rule));
    const states = () => Promise.all(ids.map((id) => timers.state(id)));
    await eventually(async () => (await states()).every((s) => s === 'delayed'), 30_000);

    await redis.flushAll();
    expect(await states()).toEqual([null, null, null]);

    await eventually(async () => (await states()).every((s) => s === 'delayed'), 20_000);
    expect(await Promise.all(ids.map(statusOf))).toEqual(['PENDING', 'PENDING', 'PENDING']);
  }, 60_000);
});
