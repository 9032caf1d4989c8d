import { readFileSync } from 'node:fs';
import { startFakeGateway, type FakeGateway } from '../../scripts/dev/fake-gateway.js';
import { uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from '../support/processes.js';
import {
  COURIER_PHONE,
  NOTIFIER_DB,
  RECIPIENT,
  collectNotificationEvents,
  intentFor,
  personalDataInLog,
  publishIntents,
  resetNotifierDatabase,
  rowOf,
  seedCase,
  seedNotifications,
  settled,
  writeTestPolicy,
  type NotificationRowState,
  type SeededCase,
} from './support.js';

const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 200;
const BACKOFF_MAX_MS = 800;
const SWEEP_MS = 250;
const LEASE_MS = 5000;
const SMS_RATE = 4;

/**
 * Crashes, retries and the gateway's rate: the notifier is SIGKILLed while the gateway holds its answer to an SMS
 * it has already accepted, and a successor must settle the row without the person getting a second SMS.
 */
describe('notifier: at most once to the person through crashes, retries and redeliveries', () => {
  const prefix = uniquePrefix('ntfc');
  let gateway: FakeGateway;
  let policyFile: string;
  const notifiers: RunningApp[] = [];
  let observer: Awaited<ReturnType<typeof collectNotificationEvents>>;

  const env = () => ({
    DATABASE_URL: NOTIFIER_DB,
    TOPIC_PREFIX: prefix,
    KAFKA_GROUP_PREFIX: prefix,
    POLICY_FILE: policyFile,
    SMS_GATEWAY_URL: `${gateway.url}/sms`,
    SMS_GATEWAY_RATE_PER_SECOND: String(SMS_RATE),
    STAFF_WEBHOOK_URL: `${gateway.url}/staff`,
    OPS_ALERT_WEBHOOK_URL: `${gateway.url}/ops`,
    NOTIFY_SWEEP_INTERVAL_MS: String(SWEEP_MS),
    NOTIFY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    NOTIFY_BACKOFF_MS: String(BACKOFF_MS),
    NOTIFY_BACKOFF_MAX_MS: String(BACKOFF_MAX_MS),
    NOTIFY_SEND_TIMEOUT_MS: '2000',
    NOTIFY_CLAIM_LEASE_MS: String(LEASE_MS),
    LOG_LEVEL: 'debug',
  });
  const startNotifier = async () => {
    const app = await startApp('notifier', env(), freePort());
    notifiers.push(app);
    return app;
  };
  const customerSms = (c: SeededCase, attempt = 1) =>
    intentFor(c, {
      kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile, discriminator: attempt, attempt,
      body: `王先生您好，EXPRESS快件${c.waybillNo}今日派送未成功，请您收到信息后及时联系快递员${COURIER_PHONE}。`,
      vars: { surname: '王', waybillNo: c.waybillNo, attempt },
    });

  beforeAll(async () => {
    gateway = await startFakeGateway();
    policyFile = writeTestPolicy('crash', gateway.url);
    await resetNotifierDatabase();
    await startNotifier();
    observer = await collectNotificationEvents(prefix);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(notifiers.map((app) => stopApp(app)));
    await observer?.stop();
    await gateway?.close();
  }, 40_000);

  const eventsOf = (id: string) => observer.events.filter((e) => e.notificationId === id);

  it('a SIGKILL between the gateway accepting an SMS and the SENT update never gives the person a second SMS', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    const sms = customerSms(c);
    const held = gateway.holdNext({ path: '/sms' });
    await seedNotifications([sms]);
    await publishIntents(prefix, [sms]);

    // The gateway has the SMS (the person gets it); the notifier waits for the answer and dies.
    await held.received;
    const first = notifiers.at(-1)!;
    await stopApp(first, 'SIGKILL');
    held.release();
    const orphan = await rowOf(sms.id);
    expect(orphan).toMatchObject({ status: 'SENDING', attempts: 1, sent_at: null });

    const successor = await startNotifier();
    await publishIntents(prefix, [sms], 3); // redelivered intents during the lease change nothing
    const done = await settled([sms.id], LEASE_MS + 20_000);
    expect(done.get(sms.id)).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(successor.process.exitCode).toBeNull();

    // The person got one SMS: one distinct idempotency key delivered, once.
    const toPerson = gateway.delivered({ path: '/sms' }).filter((r) => r.body.to === RECIPIENT.mobile && r.body.waybillNo === c.waybillNo);
    expect(toPerson).toHaveLength(1);
    expect(new Set(toPerson.map((r) => r.idempotencyKey))).toEqual(new Set([sms.id]));
    // The successor did send again, under the same key, and the provider recognised it.
    expect(gateway.requests({ idempotencyKey: sms.id }).map((r) => r.outcome)).toEqual(['delivered', 'duplicate']);
    await eventually(async () => eventsOf(sms.id).length === 1, 15_000);
    await sleep(500);
    expect(eventsOf(sms.id)).toHaveLength(1);
  }, 90_000);

  it('retries a failing gateway with exponential backoff and full jitter, then delivers once', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NO_ANSWER');
    const sms = customerSms(c);
    gateway.failNext(2, { status: 503, match: { idempotencyKey: sms.id } });
    await seedNotifications([sms]);
    await publishIntents(prefix, [sms]);
    const done = await settled([sms.id], 20_000);

    expect(done.get(sms.id)).toMatchObject({ status: 'SENT', attempts: 3, last_error: null });
    expect(gateway.requests({ idempotencyKey: sms.id }).map((r) => r.outcome)).toEqual(['failed', 'failed', 'delivered']);
    expect(gateway.delivered({ idempotencyKey: sms.id })).toHaveLength(1);
  }, 60_000);

  it('gives up after the last attempt into an ops alert, each wait within its backoff ceiling', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'PHONE_UNREACHABLE');
    const sms = customerSms(c);
    gateway.failNext(100, { status: 503, body: `destination ${RECIPIENT.mobile} temporarily unavailable`, match: { idempotencyKey: sms.id } });
    await seedNotifications([sms]);
    await publishIntents(prefix, [sms]);

    // Watch the row between attempts: each retry is scheduled within [0, min(max, base * 2^(n-1))].
    const waits = new Map<number, number>();
    let row: NotificationRowState;
    const deadline = Date.now() + 30_000;
    do {
      row = await rowOf(sms.id);
      if (row.status === 'PENDING' && row.attempts > 0) waits.set(row.attempts, row.next_attempt_at.getTime() - row.updated_at.getTime());
      await sleep(20);
    } while (!['FAILED', 'SENT'].includes(row.status) && Date.now() < deadline);

    expect(row).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS, last_error: 'sms: HTTP 503 destination 138****5678 temporarily unavailable' });
    expect(waits.size).toBeGreaterThan(0);
    for (const [attempt, wait] of waits) {
      expect(wait).toBeGreaterThanOrEqual(-50);
      expect(wait).toBeLessThanOrEqual(Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** (attempt - 1)) + 50);
    }
    // The gateway saw exactly the allowed attempts, spaced by no more than backoff ceiling + a sweep.
    const attempts = gateway.requests({ idempotencyKey: sms.id });
    expect(attempts.map((r) => r.outcome)).toEqual(Array(MAX_ATTEMPTS).fill('failed'));
    attempts.slice(1).forEach((r, i) => {
      const gap = new Date(r.receivedAt).getTime() - new Date(attempts[i]!.receivedAt).getTime();
      expect(gap).toBeLessThanOrEqual(Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** i) + SWEEP_MS + 1000 / SMS_RATE + 300);
    });

    // Ops are told, through the ops webhook, with the failure but without the person.
    const alert = await eventually(async () => gateway.delivered({ path: '/ops', idempotencyKey: `${sms.id}-OPS_ALERT` })[0], 15_000);
    expect(alert.body).toMatchObject({
      kind: 'OPS_ALERT',
      role: 'OPS',
      site: 'HQ',
      vars: { notificationId: sms.id, status: 'FAILED', attempts: MAX_ATTEMPTS, error: 'sms: HTTP 503 destination 138****5678 temporarily unavailable', recipientMasked: '138****5678' },
    });
    expect(JSON.stringify(alert.body)).not.toContain(RECIPIENT.mobile);
    expect(await rowOf(`${sms.id}-OPS_ALERT`)).toMatchObject({ status: 'SENT' });
    await eventually(async () => eventsOf(sms.id)[0], 15_000);
    expect(eventsOf(sms.id)).toEqual([expect.objectContaining({ status: 'FAILED', error: 'FAILED: sms: HTTP 503 destination 138****5678 temporarily unavailable' })]);
  }, 60_000);

  it('keeps to the SMS gateway rate across concurrent deliveries', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    const burst = [1, 2, 3, 4, 5, 6].map((attempt) => customerSms(c, attempt));
    await seedNotifications(burst);
    await publishIntents(prefix, burst);
    await settled(burst.map((n) => n.id), 20_000);

    const arrivals = burst.map((n) => new Date(gateway.delivered({ idempotencyKey: n.id })[0]!.receivedAt).getTime()).sort((a, b) => a - b);
    // Six sends at 4 per second cannot take less than five intervals of 250 ms (a few ms of network jitter allowed).
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(5 * (1000 / SMS_RATE) - 30);
  }, 60_000);

  it("keeps personal data out of every notifier's log of the run", async () => {
    await Promise.all(notifiers.map((app) => stopApp(app)));
    const logs = notifiers.map((app) => readFileSync(app.logFile, 'utf8')).join('\n');
    expect(logs).toContain('138****5678');
    expect(logs).toContain('notification attempt failed, will retry');
    expect(personalDataInLog(logs)).toEqual([]);
  }, 30_000);
});
