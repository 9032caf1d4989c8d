import { readFileSync } from 'node:fs';
import type { NotificationIntent } from '#domain';
import { startFakeGateway, type FakeGateway } from '../../scripts/dev/fake-gateway.js';
import { startSmtpSink, type SmtpSink } from '../../scripts/dev/smtp-sink.js';
import { uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from '../support/processes.js';
import {
  COMPLAINANT_MOBILE,
  COURIER_PHONE,
  NOTIFIER_DB,
  RECIPIENT,
  SENDER,
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
  type SeededCase,
} from './support.js';

/**
 * The notifier as its own process, against real PostgreSQL and Kafka, a loopback HTTP gateway (SMS gateway, site
 * webhooks, ops webhook) and a loopback SMTP server. Rows are seeded as the decision transaction writes them and
 * intents published as its outbox does.
 */
describe('notifier: every kind to its channel, once, with personal data kept out', () => {
  const prefix = uniquePrefix('ntfd');
  let gateway: FakeGateway;
  let sink: SmtpSink;
  let notifier: RunningApp | undefined;
  let observer: Awaited<ReturnType<typeof collectNotificationEvents>>;

  beforeAll(async () => {
    [gateway, sink] = await Promise.all([startFakeGateway(), startSmtpSink()]);
    await resetNotifierDatabase();
    notifier = await startApp(
      'notifier',
      {
        DATABASE_URL: NOTIFIER_DB,
        TOPIC_PREFIX: prefix,
        KAFKA_GROUP_PREFIX: prefix,
        POLICY_FILE: writeTestPolicy('delivery', gateway.url),
        SMS_GATEWAY_URL: `${gateway.url}/sms`,
        SMS_GATEWAY_KEY: 'test-key',
        STAFF_WEBHOOK_URL: `${gateway.url}/staff`,
        OPS_ALERT_WEBHOOK_URL: `${gateway.url}/ops`,
        SMTP_URL: sink.url,
        SMTP_FROM: 'Courier Alerts <alerts@courier.test>',
        NOTIFY_SWEEP_INTERVAL_MS: '300',
        NOTIFY_MAX_ATTEMPTS: '3',
        NOTIFY_BACKOFF_MS: '100',
        LOG_LEVEL: 'debug',
      },
      freePort(),
    );
    observer = await collectNotificationEvents(prefix);
  }, 60_000);

  afterAll(async () => {
    await stopApp(notifier);
    await observer?.stop();
    await Promise.all([gateway?.close(), sink?.close()]);
  }, 30_000);

  const eventsOf = (id: string) => observer.events.filter((e) => e.notificationId === id);

  it('delivers each notification kind of rules §5 to its target channel and reports it on courier.notification.v1', async () => {
    type Expect = { http: string } | { mail: string } | 'stored';
    const rows: { intent: NotificationIntent; expect: Expect }[] = [];
    const add = (c: SeededCase, fields: Parameters<typeof intentFor>[1], expect: Expect) => rows.push({ intent: intentFor(c, fields), expect });

    // FAILED_DELIVERY: the OB always (D9), pushed to its webhook; the recipient by SMS (§6).
    const failed = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    add(failed, { kind: 'OB_ALERT', channel: 'BRANCH_ALERT', targetRole: 'OB', targetSite: 'SHB002', vars: { wrongTarget: false, notifyBranch: 'SHB002' } }, { http: '/branch/SHB002' });
    add(failed, {
      kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile, templateKey: 'EXPRESS/NOBODY_HOME',
      body: `王先生您好，EXPRESS！单号${failed.waybillNo}快件已到，刚给您送去，家中无人，请您收到信息后及时与我联系${COURIER_PHONE}。`,
      vars: { surname: '王', honorific: '先生', waybillNo: failed.waybillNo, brand: 'EXPRESS', courierPhone: COURIER_PHONE, attempt: 1 }, attempt: 1,
    }, { http: '/sms' });
    // REFUSED: OB → sender for a decision. CANNOT_PAY: after the 2nd attempt the sender (D11), by SMS.
    add(await seedCase('FAILED_DELIVERY', 'REFUSED'), { kind: 'OB_ALERT', channel: 'BRANCH_ALERT', targetRole: 'OB', targetSite: 'SHB002', vars: { forwardToSender: true } }, { http: '/branch/SHB002' });
    const cannotPay = await seedCase('FAILED_DELIVERY', 'CANNOT_PAY');
    add(cannotPay, { kind: 'SENDER', channel: 'SMS', targetRole: 'SENDER', recipient: SENDER.mobile, body: `您好，您寄出的EXPRESS快件${cannotPay.waybillNo}因收件人无法付款，已2次派送未成功，请联系发件网点告知处理方式。`, discriminator: 2 }, { http: '/sms' });
    // WRONG_ROUTING: the correct site for transshipment (stored: SHB001 has no webhook), the hub holding it (webhook).
    const missent = await seedCase('WRONG_ROUTING', 'MISSENT');
    add(missent, { kind: 'TRANSSHIP', channel: 'BRANCH_ALERT', targetRole: 'DB', targetSite: 'SHB001', discriminator: 'transship' }, 'stored');
    add(missent, { kind: 'SITE_ALERT', channel: 'WEBHOOK', targetRole: 'HUB', targetSite: 'SHH01', recipient: `${gateway.url}/hub/SHH01` }, { http: '/hub/SHH01' });
    // DAMAGE: a supervisor within 2 h (S1), by e-mail.
    add(await seedCase('DAMAGE', 'DAMAGED'), { kind: 'SUPERVISOR', channel: 'EMAIL', targetRole: 'SUPERVISOR', targetSite: 'SHB001', recipient: 'sup.shb001@example.com', discriminator: 'S1' }, { mail: 'sup.shb001@example.com' });
    // COD_CHANGE: the DB, and branch finance once APPLIED.
    const cod = await seedCase('COD_CHANGE', 'COD_CANCELLED');
    add(cod, { kind: 'COD_CHANGE', channel: 'BRANCH_ALERT', targetRole: 'DB', targetSite: 'SHB001' }, 'stored');
    add(cod, { kind: 'FINANCE', channel: 'EMAIL', targetRole: 'FINANCE', targetSite: 'SHB001', recipient: 'fin.shb001@example.com', discriminator: 'applied' }, { mail: 'fin.shb001@example.com' });
    // PAYMENT_CHANGE: the courier (SMS to the courier's phone); WEIGHT_MISMATCH: reconciliation staff; RETURN_RECEIPT_CHANGE: the DB.
    add(await seedCase('PAYMENT_CHANGE', 'FREIGHT_AMOUNT_CHANGED'), { kind: 'COURIER', channel: 'SMS', targetRole: 'COURIER', targetSite: 'SHB001', recipient: COURIER_PHONE, discriminator: 'applied' }, { http: '/sms' });
    add(await seedCase('PAYMENT_CHANGE', 'WEIGHT_MISMATCH'), { kind: 'RECONCILIATION', channel: 'EMAIL', targetRole: 'RECONCILIATION', targetSite: 'SHB001', recipient: 'rec.shb001@example.com' }, { mail: 'rec.shb001@example.com' });
    add(await seedCase('PAYMENT_CHANGE', 'RETURN_RECEIPT_CHANGE'), { kind: 'RETURN_RECEIPT_CHANGE', channel: 'BRANCH_ALERT', targetRole: 'DB', targetSite: 'SHB001' }, 'stored');
    // LOSS: the DB and the hub search for it.
    const lost = await seedCase('LOSS', 'LOST');
    add(lost, { kind: 'SEARCH', channel: 'BRANCH_ALERT', targetRole: 'DB', targetSite: 'SHB001', discriminator: 'search' }, 'stored');
    add(lost, { kind: 'SEARCH', channel: 'BRANCH_ALERT', targetRole: 'HUB', targetSite: 'SHH01', discriminator: 'search' }, { http: '/hub/SHH01' });
    // COMPLAINT: the customer gets the ticket number, by SMS or by e-mail.
    const smsComplaint = await seedCase('COMPLAINT', 'DELAY');
    add(smsComplaint, { kind: 'COMPLAINT_TICKET', channel: 'SMS', targetRole: 'CUSTOMER', recipient: COMPLAINANT_MOBILE, body: `张先生/女士您好，您对快件${smsComplaint.waybillNo}的投诉已受理，工单号 {caseNo}。`, discriminator: 'ticket' }, { http: '/sms' });
    const mailComplaint = await seedCase('COMPLAINT', 'SERVICE_ATTITUDE');
    add(mailComplaint, { kind: 'COMPLAINT_TICKET', channel: 'EMAIL', targetRole: 'CUSTOMER', recipient: 'zhang.customer@example.com', body: `张先生/女士您好，您对快件${mailComplaint.waybillNo}的投诉已受理，工单号 {caseNo}。`, discriminator: 'ticket' }, { mail: 'zhang.customer@example.com' });

    await seedNotifications(rows.map((r) => r.intent));
    await publishIntents(prefix, rows.map((r) => r.intent));
    const done = await settled(rows.map((r) => r.intent.id));

    for (const { intent, expect: target } of rows) {
      const row = done.get(intent.id)!;
      expect({ id: intent.id, status: row.status }).toEqual({ id: intent.id, status: 'SENT' });
      if (target === 'stored') {
        expect(row.provider_ref).toBe('stored');
        expect(gateway.requests({ idempotencyKey: intent.id })).toHaveLength(0);
      } else if ('http' in target) {
        const delivered = gateway.delivered({ idempotencyKey: intent.id });
        expect(delivered.map((r) => r.path)).toEqual([target.http]);
        expect(delivered[0]!.body).toMatchObject({ id: intent.id, kind: intent.kind, role: intent.targetRole });
      } else {
        const mails = sink.messagesTo(target.mail).filter((m) => m.headers['x-notification-id'] === intent.id);
        expect(mails).toHaveLength(1);
      }
    }
    // The complaint ticket carries the case number that only persistence knew.
    const ticketSms = gateway.delivered({ path: '/sms' }).find((r) => r.body.kind === 'COMPLAINT_TICKET')!;
    expect(ticketSms.body.text).toContain(smsComplaint.caseNo);
    expect(sink.messagesTo('zhang.customer@example.com')[0]!.text).toContain(mailComplaint.caseNo);
    // The SMS went with the gateway's key.
    expect(gateway.delivered({ path: '/sms' }).every((r) => r.authorization === 'Bearer test-key')).toBe(true);

    // Each sent notification is reported once, masked, as the contract says.
    await eventually(async () => rows.every((r) => eventsOf(r.intent.id).length === 1), 20_000);
    for (const { intent } of rows) {
      const [event] = eventsOf(intent.id);
      expect(event).toMatchObject({ status: 'SENT', kind: intent.kind, channel: intent.channel, caseId: intent.caseId });
      expect(JSON.stringify(event)).not.toMatch(/13812345678|13900001111|13698765432/);
    }
  }, 90_000);

  it('delivers a redelivered intent once: five copies, a repeat later and the sweep make one SMS', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NO_ANSWER');
    const sms = intentFor(c, {
      kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile,
      body: `王先生您好，EXPRESS！单号${c.waybillNo}快件已到，电话联系不上，请您收到信息后及时与我联系${COURIER_PHONE}。`,
      vars: { surname: '王', waybillNo: c.waybillNo, attempt: 1 }, attempt: 1,
    });
    await seedNotifications([sms]);
    await publishIntents(prefix, [sms], 5);
    await settled([sms.id]);
    await publishIntents(prefix, [sms], 2);
    await sleep(2000); // the repeats are consumed, and a few sweeps pass

    expect(gateway.requests({ idempotencyKey: sms.id })).toHaveLength(1);
    expect(gateway.delivered({ path: '/sms' }).filter((r) => r.body.to === RECIPIENT.mobile && r.idempotencyKey === sms.id)).toHaveLength(1);
    expect((await rowOf(sms.id)).attempts).toBe(1);
    await eventually(async () => eventsOf(sms.id).length === 1);
    await sleep(500);
    expect(eventsOf(sms.id)).toHaveLength(1);
  }, 60_000);

  it('holds a customer SMS until its quiet hours end (not_before), sends nothing meanwhile, then releases it', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    const notBefore = new Date(Date.now() + 5000);
    const sms = intentFor(c, {
      kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile,
      body: `王先生您好，EXPRESS快件${c.waybillNo}今日派送未成功，请您收到信息后及时联系快递员${COURIER_PHONE}。`,
      vars: { surname: '王', waybillNo: c.waybillNo, attempt: 1 }, notBefore: notBefore.toISOString(), attempt: 1,
    });
    await seedNotifications([sms]);
    await publishIntents(prefix, [sms]);

    const held = await eventually(async () => {
      const row = await rowOf(sms.id);
      return row.status === 'HELD' ? row : null;
    }, 10_000);
    expect(held.next_attempt_at.getTime()).toBe(notBefore.getTime());
    expect(held.attempts).toBe(0);
    await publishIntents(prefix, [sms]); // an intent during the hold changes nothing
    await sleep(1500);
    expect(gateway.requests({ idempotencyKey: sms.id })).toHaveLength(0);

    const done = await settled([sms.id], 15_000);
    expect(done.get(sms.id)!.status).toBe('SENT');
    const [sent] = gateway.delivered({ idempotencyKey: sms.id });
    expect(new Date(sent!.receivedAt).getTime()).toBeGreaterThanOrEqual(notBefore.getTime());
    await eventually(async () => eventsOf(sms.id)[0]);
    expect(eventsOf(sms.id)[0]).toMatchObject({ status: 'SENT', notBefore: notBefore.toISOString() });
  }, 60_000);

  it('carries the D9 wrong-target flag with the OB alert to the branch system', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'ADDRESS_UNCLEAR');
    const alert = intentFor(c, {
      kind: 'OB_ALERT', channel: 'BRANCH_ALERT', targetRole: 'OB', targetSite: 'SHB002', discriminator: 'reg-e1',
      body: `[FAILED_DELIVERY/ADDRESS_UNCLEAR] ${c.waybillNo}: SHB001 registered ADDRESS_UNCLEAR`,
      vars: { waybillNo: c.waybillNo, caseId: c.caseId, registeringSite: 'SHB001', wrongTarget: true, notifyBranch: 'SHB009' },
    });
    await seedNotifications([alert]);
    await publishIntents(prefix, [alert]);
    await settled([alert.id]);

    const [push] = gateway.delivered({ idempotencyKey: alert.id });
    expect(push!.path).toBe('/branch/SHB002');
    expect(push!.body).toMatchObject({ kind: 'OB_ALERT', site: 'SHB002', wrongTarget: true, vars: { wrongTarget: true, notifyBranch: 'SHB009' } });
    // The stored alert (the live stream's source) keeps the flag too.
    expect((await rowOf(alert.id)).vars).toMatchObject({ wrongTarget: true, notifyBranch: 'SHB009' });
  }, 60_000);

  it('sends nothing to a missing or invalid mobile: UNROUTED with the reason, reported, and raised to ops', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'WRONG_PHONE');
    const base = { kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', body: `王先生您好，快件${c.waybillNo}今日派送未成功。`, vars: { surname: '王' } } as const;
    const landline = intentFor(c, { ...base, recipient: '021-5555-1234', discriminator: 1 });
    const none = intentFor(c, { ...base, recipient: null, discriminator: 2 });
    await seedNotifications([landline, none]);
    await publishIntents(prefix, [landline, none]);
    const done = await settled([landline.id, none.id]);

    expect(done.get(landline.id)).toMatchObject({ status: 'UNROUTED', attempts: 1, last_error: 'recipient mobile number is not a valid mainland mobile' });
    expect(done.get(none.id)).toMatchObject({ status: 'UNROUTED', last_error: 'recipient has no mobile number' });
    expect(gateway.requests({ idempotencyKey: landline.id })).toHaveLength(0);
    expect(gateway.requests({ idempotencyKey: none.id })).toHaveLength(0);
    await eventually(async () => eventsOf(landline.id)[0]);
    expect(eventsOf(landline.id)[0]).toMatchObject({ status: 'FAILED', error: 'UNROUTED: recipient mobile number is not a valid mainland mobile' });
    const opsAlert = await eventually(async () => gateway.delivered({ path: '/ops', idempotencyKey: `${landline.id}-OPS_ALERT` })[0]);
    expect(opsAlert.body).toMatchObject({ kind: 'OPS_ALERT', vars: { notificationId: landline.id, status: 'UNROUTED' } });
  }, 60_000);

  it("refuses an SMS that would quote the recipient's full name or phone number, and raises it to ops", async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    const leaky = intentFor(c, {
      kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile,
      body: `${RECIPIENT.name}先生您好，快件${c.waybillNo}今日派送未成功，回电${RECIPIENT.mobile}。`,
      vars: { surname: '王', waybillNo: c.waybillNo },
    });
    await seedNotifications([leaky]);
    await publishIntents(prefix, [leaky]);
    const done = await settled([leaky.id]);

    expect(done.get(leaky.id)!.status).toBe('FAILED');
    expect(done.get(leaky.id)!.last_error).toMatch(/^message refused: it contains .*a mobile number of a person on the waybill/);
    expect(done.get(leaky.id)!.last_error).toContain('the full name of a person on the waybill');
    expect(gateway.requests({ idempotencyKey: leaky.id })).toHaveLength(0);
    await eventually(async () => gateway.delivered({ path: '/ops', idempotencyKey: `${leaky.id}-OPS_ALERT` })[0]);
  }, 60_000);

  it('reports an SMS the handheld already sent as ALREADY_SENT at its event time, and sends nothing', async () => {
    const c = await seedCase('FAILED_DELIVERY', 'NOBODY_HOME');
    const eventTime = new Date(Date.now() - 3_600_000).toISOString();
    const handheld = intentFor(c, { kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', recipient: RECIPIENT.mobile, alreadySent: true, eventTime, vars: { surname: '王', attempt: 1 } });
    await seedNotifications([handheld]);

    const event = await eventually(async () => eventsOf(handheld.id)[0], 15_000);
    expect(event).toMatchObject({ status: 'ALREADY_SENT', sentAt: eventTime, attempt: 1, recipientMasked: '138****5678' });
    expect(await rowOf(handheld.id)).toMatchObject({ status: 'RECORDED', provider_ref: 'handheld' });
    expect(gateway.requests({ idempotencyKey: handheld.id })).toHaveLength(0);
  }, 60_000);

  it("keeps personal data out of the run's log: no phone number, name or address, only their masked forms", async () => {
    await stopApp(notifier);
    const log = readFileSync(notifier!.logFile, 'utf8');
    // The log did speak of these people (masked), so finding nothing is not for want of trying.
    expect(log).toContain('138****5678');
    expect(log).toContain('notification given up: ops alerted');
    expect(personalDataInLog(log)).toEqual([]);
  }, 30_000);
});
