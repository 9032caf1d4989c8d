import { Redis } from 'ioredis';
import { resetDatabase, query, TEST_DATABASE_URL } from './support/database.js';
import { produce, uniquePrefix } from './support/kafka.js';
import { eventually, freePort, startApp, stopApp, type RunningApp } from './support/processes.js';
import { localTime, message, pickup, scan, waybillNo } from './support/events.js';

/**
 * Foundation e2e: two NestJS apps as separate processes talking through a Kafka topic, with real
 * PostgreSQL and Redis. The ingest app turns a failed delivery into a case and a D4 deadline; the
 * deadline app receives the arm intent through `courier.deadline-intent.v1`, holds the timer in
 * BullMQ and, the due time being past and the stream quiet, records the miss and the DB's liability.
 */
describe('ingest → Kafka → deadlines (real Kafka, PostgreSQL, Redis)', () => {
  const prefix = uniquePrefix('pipe');
  const redisUrl = 'redis://127.0.0.1:6379/3';
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: redisUrl,
    TOPIC_PREFIX: prefix,
    KAFKA_GROUP_PREFIX: prefix,
    POLICY_FILE: 'config/policy.default.json',
    DEADLINE_IDLE_GRACE_SECONDS: '2',
    LOG_LEVEL: 'warn',
  };
  let ingest: RunningApp | undefined;
  let deadlines: RunningApp | undefined;

  beforeAll(async () => {
    await resetDatabase();
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    [ingest, deadlines] = await Promise.all([startApp('ingest', env, freePort()), startApp('deadlines', env, freePort())]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stopApp(ingest), stopApp(deadlines)]);
  });

  it('answers /health on both apps with every dependency up', async () => {
    for (const app of [ingest!, deadlines!]) {
      const response = await fetch(`http://127.0.0.1:${app.port}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string };
      expect(body.status).toBe('ok');
    }
  });

  it('turns an unregistered failed delivery into a case whose missed D4 deadline makes the DB liable', async () => {
    const waybill = waybillNo('E2E');
    await produce(`${prefix}courier.scan.v1`, [
      message(pickup(waybill, localTime(1, '09:00'))),
      message(scan(waybill, 'BRANCH_ARRIVAL', localTime(1, '13:00'), 'SHB001')),
      message(scan(waybill, 'OUT_FOR_DELIVERY', localTime(1, '14:00'), 'SHB001', { courierId: 'C001', courierPhone: '13700002222' })),
      message(scan(waybill, 'DELIVERY_FAILED', localTime(1, '15:00'), 'SHB001', { reasonCode: 'NOBODY_HOME', attempt: 1 })),
    ]);

    const [opened] = await eventually(() =>
      query<{ case_no: string; case_class: string; reason_code: string }>(
        `SELECT case_no, case_class, reason_code FROM problem_case WHERE waybill_no = $1`,
        [waybill],
      ).then((rows) => (rows.length ? rows : null)),
    );
    expect(opened.case_class).toBe('FAILED_DELIVERY');
    expect(opened.reason_code).toBe('NOBODY_HOME');
    expect(opened.case_no).toMatch(/^PI-\d{6}-\d{7}$/);

    const [liability] = await eventually(
      () =>
        query<{ rule: string; party: string; site_code: string }>(
          `SELECT l.rule, l.party, l.site_code FROM liability_record l JOIN deadline d ON d.deadline_id = l.deadline_id
           WHERE d.waybill_no = $1 AND l.kind = 'RECORD'`,
          [waybill],
        ).then((rows) => (rows.length ? rows : null)),
      45_000,
    );
    expect(liability).toEqual({ rule: 'D4', party: 'DB', site_code: 'SHB001' });
    const deadlines = await query<{ rule: string; status: string }>(
      `SELECT rule, status FROM deadline WHERE waybill_no = $1 AND rule = 'D4'`,
      [waybill],
    );
    expect(deadlines).toEqual([{ rule: 'D4', status: 'MISSED' }]);
  }, 90_000);
});
