import { Redis } from 'ioredis';
import { resetDatabase, withClient } from '../support/database.js';
import { produce, uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, startApp, stopApp, type RunningApp } from '../support/processes.js';
import { localTime } from '../support/events.js';
import { EngineFeed } from './support/engine-feed.js';
import { metricValue, TimerProbe } from './support/timers.js';
import { complaint, complaintAction, deadlineId, failureRegistration, unregisteredFailedDelivery } from './support/scenarios.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/courier_test_deadlines';
const REDIS_URL = 'redis://127.0.0.1:6379/5';
const HOUR = 3_600_000;

async function rows<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(async (client) => (await client.query(sql, params)).rows as T[], DATABASE_URL);
}

const statusOf = async (id: string) => (await rows<{ status: string }>(`SELECT status FROM deadline WHERE deadline_id = $1`, [id]))[0]?.status;
const liabilitiesOf = (id: string) =>
  rows<{ record_id: string; kind: string; rule: string; party: string; site_code: string; refers_to: string | null }>(
    `SELECT record_id, kind, rule, party, site_code, refers_to FROM liability_record WHERE deadline_id = $1 ORDER BY kind`,
    [id],
  );

/**
 * The deadline service as a process (dist/apps/deadlines), with real PostgreSQL, Redis and the Kafka mock. Cases
 * are built by running real events through the engine and persisting them as ingest does (EngineFeed); the
 * deadline intents reach the service through the outbox and `courier.deadline-intent.v1`. The reconciler runs
 * only at start-up here, so every arm and cancel below goes through the intents.
 */
describe('deadline service: timers from intents, judged against PostgreSQL', () => {
  const prefix = uniquePrefix('dl');
  const ingestGroup = `${prefix}.ingest`;
  const env = {
    DATABASE_URL,
    REDIS_URL,
    TOPIC_PREFIX: prefix,
    KAFKA_GROUP_PREFIX: prefix,
    POLICY_FILE: 'config/policy.default.json',
    DEADLINE_IDLE_GRACE_SECONDS: '120',
    RECONCILE_INTERVAL_SECONDS: '3600',
    LOG_LEVEL: 'warn',
  };
  let app: RunningApp | undefined;
  let feed: EngineFeed;
  let timers: TimerProbe;

  beforeAll(async () => {
    await resetDatabase(DATABASE_URL);
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    feed = await EngineFeed.open(DATABASE_URL);
    timers = new TimerProbe(REDIS_URL);
    app = await startApp('deadlines', env, freePort());
  }, 90_000);

  afterAll(async () => {
    await stopApp(app);
    await feed?.close();
    await timers?.close();
  });

  it('fires a missed deadline once: the overdue, the DB liable, the alert and the first escalation step', async () => {
    const waybill = await unregisteredFailedDelivery(feed, 'DLMISS');
    const d4 = deadlineId(waybill, 'FAILED_DELIVERY', 'D4', 'a1');

    const [record] = await eventually(() => liabilitiesOf(d4).then((r) => (r.length ? r : null)), 30_000);
    expect(record).toMatchObject({ kind: 'RECORD', rule: 'D4', party: 'DB', site_code: 'SHB001' });
    expect(await statusOf(d4)).toBe('MISSED');
    // The +2 h ladder step (supervisor) is due two hours after the D4 due time, also past: it fires too.
    await eventually(async () => (await statusOf(deadlineId(waybill, 'FAILED_DELIVERY', 'ESC1'))) === 'MISSED', 30_000);
    const [c] = await rows<{ overdue: boolean; overdue_rules: string[]; escalation_level: number }>(
      `SELECT overdue, overdue_rules, escalation_level FROM problem_case WHERE waybill_no = $1`,
      [waybill],
    );
    expect(c).toMatchObject({ overdue: true, overdue_rules: ['D4'] });
    expect(c!.escalation_level).toBeGreaterThanOrEqual(1);
    const alerts = await rows<{ kind: string; target_site: string }>(
      `SELECT kind, target_site FROM notification WHERE case_id = $1 AND kind IN ('OVERDUE', 'OB_ALERT') ORDER BY kind`,
      [`${waybill}-FAILED_DELIVERY-1`],
    );
    expect(alerts).toEqual([
      { kind: 'OB_ALERT', target_site: 'SHB002' },
      { kind: 'OVERDUE', target_site: 'SHB001' },
    ]);
    await eventually(async () => (await timers.state(d4)) === null, 10_000); // a judged timer leaves nothing behind
    expect(await liabilitiesOf(d4)).toHaveLength(1);
  }, 90_000);

  it('never fires an overdue for a deadline met before its due time', async () => {
    // Two complaints registered 12 h less 30 s ago: their C1 (contact the customer within 12 h) is due in 30 s.
    const registeredAt = Date.now() - 12 * HOUR + 30_000;
    const contacted = await complaint(feed, 'DLMET', registeredAt);
    const ignored = await complaint(feed, 'DLCTL', registeredAt);
    const metC1 = deadlineId(contacted, 'COMPLAINT', 'C1');
    const missedC1 = deadlineId(ignored, 'COMPLAINT', 'C1');
    await eventually(async () => (await timers.state(metC1)) === 'delayed' && (await timers.state(missedC1)) === 'delayed', 25_000);

    await feed.apply('action', complaintAction(contacted, 'COMPLAINT_CONTACTED', registeredAt + 60_000));

    // The uncontacted one shows the timers do fire at that time; the contacted one's timer was cancelled.
    await eventually(async () => (await statusOf(missedC1)) === 'MISSED', 60_000);
    expect(await statusOf(metC1)).toBe('MET');
    expect(await liabilitiesOf(metC1)).toEqual([]);
    expect(await timers.state(metC1)).toBeNull();
  }, 120_000);

  it('holds a due timer while ingest lags behind its due time, so a late-delivered registration still meets it', async () => {
    // Ingest is behind on a partition whose newest event is yesterday 15:00: the event-time clock stands there.
    await feed.ingestProgress(ingestGroup, { behind: true, newestEventTime: localTime(1, '15:00') });
    try {
      const waybill = await unregisteredFailedDelivery(feed, 'DLLAG');
      const d4 = deadlineId(waybill, 'FAILED_DELIVERY', 'D4', 'a1');
      // Its due time (yesterday 21:00) is past by the wall clock: the timer runs, and waits again, more than once.
      await eventually(() => timers.job(d4), 30_000);
      await eventually(async () => ((await timers.job(d4))?.attemptsStarted ?? 0) >= 2, 15_000);
      expect(await statusOf(d4)).toBe('PENDING');

      // Ingest reaches the delivering branch's registration, made yesterday 16:00, and catches up.
      await feed.apply('exception', failureRegistration(waybill));
      await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '16:00') });

      await eventually(async () => (await timers.state(d4)) === null, 30_000);
      expect(await statusOf(d4)).toBe('MET');
      expect(await liabilitiesOf(d4)).toEqual([]);
    } finally {
      // Forget the simulated ingest: without any progress there is no event-time clock to wait for, and the
      // tests below judge their timers at once. (Caught up at yesterday 16:00, the clock would hold them.)
      await rows(`DELETE FROM consumer_offset WHERE group_id = $1`, [ingestGroup]);
    }
  }, 120_000);

  it('cancels every timer of a case when it closes', async () => {
    const waybill = await complaint(feed, 'DLCLOSE', Date.now() - HOUR);
    const ids = ['C1', 'C2', 'C3'].map((rule) => deadlineId(waybill, 'COMPLAINT', rule));
    const states = () => Promise.all(ids.map((id) => timers.state(id)));
    await eventually(async () => (await states()).every((s) => s === 'delayed'), 30_000);

    await feed.apply('action', complaintAction(waybill, 'RESOLVE', Date.now() - 60_000, { siteCode: 'HQ', siteType: 'HQ', note: '客户撤诉' }));

    await eventually(async () => (await states()).every((s) => s === null), 30_000);
    expect(await Promise.all(ids.map(statusOf))).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    const [c] = await rows<{ state: string }>(`SELECT state FROM problem_case WHERE waybill_no = $1`, [waybill]);
    expect(c!.state).toBe('CLOSED');
  }, 90_000);

  it('takes duplicate and late arm intents without a second timer or a second overdue', async () => {
    const waybill = await complaint(feed, 'DLDUP', Date.now() - 12 * HOUR + 40_000);
    const [c1, c2] = ['C1', 'C2'].map((rule) => deadlineId(waybill, 'COMPLAINT', rule)) as [string, string];
    await eventually(async () => (await timers.state(c1)) === 'delayed' && (await timers.state(c2)) === 'delayed', 25_000);
    const armedAt = (await timers.job(c1))!.timestamp;
    const due = await rows<{ deadline_id: string; due_at: Date }>(`SELECT deadline_id, due_at FROM deadline WHERE deadline_id = ANY($1)`, [[c1, c2]]);
    const arm = (id: string) => ({
      op: 'ARM',
      deadlineId: id,
      caseId: `${waybill}-COMPLAINT-1`,
      waybillNo: waybill,
      rule: id.slice(-2),
      dueAt: due.find((d) => d.deadline_id === id)!.due_at.toISOString(),
    });
    // The relay delivers at least once: the same intent three more times. C2's timer, removed here and armed
    // again by an intent sent after them on the same partition, shows when they have all been applied.
    const redeliver = async (...intents: object[]) => {
      await timers.queue.remove(c2);
      await produce(`${prefix}courier.deadline-intent.v1`, [...intents, arm(c2)].map((i) => ({ key: waybill, value: JSON.stringify(i) })));
      await eventually(async () => (await timers.state(c2)) === 'delayed', 25_000);
    };
    await redeliver(arm(c1), arm(c1), arm(c1));
    expect((await timers.job(c1))!.timestamp).toBe(armedAt); // the timer was left alone, not re-created

    await eventually(async () => (await statusOf(c1)) === 'MISSED', 60_000);
    // A redelivery after the judgement finds the deadline no longer pending: no timer.
    await redeliver(arm(c1));
    expect(await timers.state(c1)).toBeNull();

    expect((await liabilitiesOf(c1)).map((r) => r.kind)).toEqual(['RECORD']);
    const escalations = await rows(`SELECT 1 FROM notification WHERE case_id = $1 AND kind = 'COMPLAINT_ESCALATION'`, [`${waybill}-COMPLAINT-1`]);
    expect(escalations).toHaveLength(1);
  }, 150_000);

  it('retracts an overdue when a late registration shows it was met, and stops counting it', async () => {
    const waybill = await unregisteredFailedDelivery(feed, 'DLLATE');
    const caseId = `${waybill}-FAILED_DELIVERY-1`;
    const d4 = deadlineId(waybill, 'FAILED_DELIVERY', 'D4', 'a1');
    const [record] = await eventually(() => liabilitiesOf(d4).then((r) => (r.length ? r : null)), 30_000);

    // The dashboard gauge counts the standing D4 overdues of open cases at SHB001, this one included.
    const labels = { rule: 'D4', case_class: 'FAILED_DELIVERY', site: 'SHB001', party: 'DB' };
    const standing = async () =>
      Number(
        (
          await rows<{ n: number }>(
            `SELECT count(*)::int AS n FROM problem_case WHERE overdue AND 'D4' = ANY(overdue_rules) AND state NOT IN ('RESOLVED', 'CLOSED')`,
          )
        )[0]!.n,
      );
    const before = await standing();
    await eventually(async () => (await metricValue(app!.port, 'courier_overdue_open', labels)) === before, 20_000);

    // The registration, made yesterday 16:00, reaches the system only now.
    await feed.apply('exception', failureRegistration(waybill));

    const records = await liabilitiesOf(d4);
    expect(records).toEqual([
      expect.objectContaining({ kind: 'RECORD', record_id: record!.record_id }),
      expect.objectContaining({ kind: 'RETRACTION', refers_to: record!.record_id, rule: 'D4', party: 'DB' }),
    ]);
    expect(await statusOf(d4)).toBe('RETRACTED');
    const [c] = await rows<{ overdue_rules: string[] }>(`SELECT overdue_rules FROM problem_case WHERE case_id = $1`, [caseId]);
    expect(c!.overdue_rules).not.toContain('D4');
    expect(await standing()).toBe(before - 1);
    await eventually(async () => (await metricValue(app!.port, 'courier_overdue_open', labels)) === before - 1, 20_000);
    // (The registration also starts D5, the origin branch's 24 h to reply: that one is the OB's to meet.)
  }, 90_000);
});
