import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { quietHoursRelease } from '#domain';
import { startFakeGateway, type FakeGateway } from '../../scripts/dev/fake-gateway.js';
import { startSmtpSink, type SmtpSink } from '../../scripts/dev/smtp-sink.js';
import { uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from '../support/processes.js';
import {
  COURIER_PHONE,
  NOTIFIER_DB,
  RECIPIENT,
  intentFor,
  personalDataInLog,
  publishIntents,
  resetNotifierDatabase,
  rowOf,
  seedCase,
  seedNotifications,
  settled,
  writeTestPolicy,
} from './support.js';

const ZONE = 'Asia/Shanghai';

/**
 * The Kafka path on its own (the sweep runs once at start-up, then not for ten minutes), under a policy whose
 * quiet hours are in force right now: customer SMS wait for their end even when the engine saw no quiet hours at
 * the event's time; staff are told at once.
 */
describe('notifier: intents alone deliver, and quiet hours in force hold customer SMS', () => {
  const prefix = uniquePrefix('ntfq');
  const now = DateTime.now().setZone(ZONE);
  const quietHours = { start: now.minus({ hours: 1 }).toFormat('HH:mm'), end: now.plus({ hours: 1 }).toFormat('HH:mm') };
  let gateway: FakeGateway;
  let sink: SmtpSink;
  let notifier: RunningApp | undefined;

  beforeAll(async () => {
    [gateway, sink] = await Promise.all([startFakeGateway(), startSmtpSink()]);
    await resetNotifierDatabase();
    notifier = await startApp(
      'notifier',
      {
        DATABASE_URL: NOTIFIER_DB,
        TOPIC_PREFIX: prefix,
        KAFKA_GROUP_PREFIX: prefix,
        POLICY_FILE: writeTestPolicy('quiet', gateway.url, quietHours),
        SMS_GATEWAY_URL: `${gateway.url}/sms`,
        SMTP_URL: sink.url,
        SMTP_FROM: 'alerts@courier.test',
        NOTIFY_SWEEP_INTERVAL_MS: '600000',
        LOG_LEVEL: 'debug',
      },
      freePort(),
    );
  }, 60_000);

  afterAll(async () => {
    await stopApp(notifier);
    await Promise.all([gateway?.close(), sink?.close()]);
  }, 30_000);

  it('delivers a row on its intent alone, with no sweep to find it', async () => {
    const c = await seedCase('DAMAGE', 'DAMAGED');
    const supervisor = intentFor(c, { kind: 'SUPERVISOR', channel: 'EMAIL', targetRole: 'SUPERVISOR', targetSite: 'SHB001', recipient: 'sup.shb001@example.com', discriminator: 'S1' });
    await seedNotifications([supervisor]);
    await sleep(1000);
    expect((await rowOf(supervisor.id)).status).toBe('PENDING'); // nothing looks at the table by itself now

    await publishIntents(prefix, [supervisor]);
    const done = await settled([supervisor.id], 30_000);
    expect(done.get(supervisor.id)!.status).toBe('SENT');
    expect(sink.messagesTo('sup.shb001@example.com').filter((m) => m.headers['x-notification-id'] === supervisor.id)).toHaveLength(1);
  }, 60_000);

  it('holds a customer SMS to the end of the quiet hours in force, though the engine set no not_before; staff SMS go', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    const customer = intentFor(c, {
      kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile, attempt: 1,
      body: `王先生您好，EXPRESS快件${c.waybillNo}今日派送未成功，请您收到信息后及时联系快递员${COURIER_PHONE}。`,
      vars: { surname: '王', waybillNo: c.waybillNo, attempt: 1 },
    });
    const courier = intentFor(c, { kind: 'COURIER', channel: 'SMS', targetRole: 'COURIER', targetSite: 'SHB001', recipient: COURIER_PHONE, discriminator: 'applied' });
    await seedNotifications([customer, courier]);
    await publishIntents(prefix, [customer, courier]);

    const held = await eventually(async () => {
      const row = await rowOf(customer.id);
      return row.status === 'HELD' ? row : null;
    }, 30_000);
    const release = quietHoursRelease(new Date(), quietHours, ZONE)!;
    expect(held.next_attempt_at.toISOString()).toBe(release.toISOString());
    expect(held.attempts).toBe(0);
    expect((await settled([courier.id])).get(courier.id)!.status).toBe('SENT');
    expect(gateway.requests({ idempotencyKey: courier.id })).toHaveLength(1);
    expect(gateway.requests({ idempotencyKey: customer.id })).toHaveLength(0);
  }, 60_000);

  it("keeps personal data out of the run's log", async () => {
    await stopApp(notifier);
    const log = readFileSync(notifier!.logFile, 'utf8');
    expect(log).toContain('notification held for quiet hours');
    expect(personalDataInLog(log)).toEqual([]);
  }, 30_000);
});
