import { join } from 'node:path';
import { resetDatabase, withClient } from '../support/database.js';
import { uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, ROOT, startApp, stopApp, type RunningApp } from '../support/processes.js';
import { localTime } from '../support/events.js';
import { EngineFeed } from '../deadlines/support/engine-feed.js';
import { TimerProbe } from '../deadlines/support/timers.js';
import { deadlineId, failureRegistration, unregisteredFailedDelivery } from '../deadlines/support/scenarios.js';
import { freeTcpPort, OwnRedis } from '../../scripts/chaos/infra.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/courier_test_chaos_clock';

const rows = <T>(sql: string, params: unknown[] = []) => withClient(async (c) => (await c.query(sql, params)).rows as T[], DATABASE_URL);
const statusOf = async (id: string) => (await rows<{ status: string }>(`SELECT status FROM deadline WHERE deadline_id = $1`, [id]))[0]?.status;
const recordsOf = async (id: string) =>
  (await rows<{ kind: string }>(`SELECT kind FROM liability_record WHERE deadline_id = $1 ORDER BY kind`, [id])).map((r) => r.kind);

/**
 * Found by the chaos run's calm control run (scripts/chaos): a consumer that keeps up with a replay of a past day
 * — or with a site uploading a day of backlog — is "caught up" at every batch, and the deadline service used to
 * judge every due timer by the wall clock whenever ingest had caught up. A paced replay of one simulated day then
 * raised hundreds of overdues that the next messages retracted, and opened HELD_AT_HUB cases by dwell timers that
 * the next scans contradicted. Rules §3: deadlines are judged by event time. Caught up, the clock is the newest
 * event time applied (less the allowed lateness), not the wall clock.
 */
describe('event-time clock of a caught-up consumer replaying a past day', () => {
  const prefix = uniquePrefix('clk');
  const ingestGroup = `${prefix}.ingest`;
  let redis: OwnRedis;
  let app: RunningApp | undefined;
  let feed: EngineFeed;
  let timers: TimerProbe;

  beforeAll(async () => {
    await resetDatabase(DATABASE_URL);
    // A Redis of the test's own: the machine's is shared.
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
        // The replay is busy: the idle grace (a quiet stream) must not be what releases the timers here.
        DEADLINE_IDLE_GRACE_SECONDS: '300',
        WATERMARK_LATENESS_SECONDS: '300',
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

  it('holds a deadline the replay has not reached, lets the next message meet it, and misses one the replay has passed', async () => {
    // Ingest has applied yesterday up to 15:00 and has caught up with its producer.
    await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '15:00') });
    const met = await unregisteredFailedDelivery(feed, 'CLKMET');
    const missed = await unregisteredFailedDelivery(feed, 'CLKMISS');
    const [metD4, missedD4] = [met, missed].map((w) => deadlineId(w, 'FAILED_DELIVERY', 'D4', 'a1')) as [string, string];

    // Both D4s (yesterday 21:00) are past by the wall clock: their timers run, and wait again, more than once.
    const waitedTwiceOrJudged = async (id: string) => ((await timers.job(id))?.attemptsStarted ?? 0) >= 2 || (await statusOf(id)) !== 'PENDING';
    for (const id of [metD4, missedD4]) await eventually(() => waitedTwiceOrJudged(id), 30_000);
    expect([await statusOf(metD4), await statusOf(missedD4)]).toEqual(['PENDING', 'PENDING']);

    // The next message of the replay: the registration made yesterday 16:00 meets the first one in time.
    await feed.apply('exception', failureRegistration(met));
    await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '16:00') });
    expect(await statusOf(metD4)).toBe('MET');

    // The replay reaches yesterday 23:00: the other one is judged missed, once.
    await feed.ingestProgress(ingestGroup, { behind: false, newestEventTime: localTime(1, '23:00') });
    await eventually(async () => (await statusOf(missedD4)) === 'MISSED', 30_000);
    await eventually(async () => (await timers.state(missedD4)) === null, 15_000);
    expect(await recordsOf(missedD4)).toEqual(['RECORD']);
    expect(await recordsOf(metD4)).toEqual([]);
  }, 120_000);
});
