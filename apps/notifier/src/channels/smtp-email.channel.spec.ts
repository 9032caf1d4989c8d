import { startSmtpSink, type SmtpSink } from '../../../../scripts/dev/smtp-sink.js';
import { PermanentDeliveryError, UnroutedError } from './notification-channel.js';
import { RateLimiter } from './rate-limiter.js';
import { createSmtpTransport, emailSubject, emailText, messageIdFor, SmtpEmailChannel, type MailTransport } from './smtp-email.channel.js';
import { testNotification } from '../testing/notifications.js';

const supervisorAlert = testNotification({
  idempotencyKey: 'SF1234567890-DAMAGE-1-SUPERVISOR-SHB001-S1',
  caseId: 'SF1234567890-DAMAGE-1',
  kind: 'SUPERVISOR',
  channel: 'EMAIL',
  targetRole: 'SUPERVISOR',
  targetSite: 'SHB001',
  recipient: 'sup.shb001@example.com',
  recipientMasked: 's***@example.com',
  body: '[DAMAGE/DAMAGED] SF1234567890: DAMAGED registered by SHB001',
  vars: { waybillNo: 'SF1234567890', caseClass: 'DAMAGE', rule: 'S1' },
});

describe('SmtpEmailChannel (against the loopback SMTP sink)', () => {
  let sink: SmtpSink;
  let transport: MailTransport;
  let channel: SmtpEmailChannel;
  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport(sink.url, 2000);
    channel = new SmtpEmailChannel(transport, 'Courier Alerts <alerts@courier.test>', new RateLimiter(100));
  });
  afterAll(async () => {
    transport.close();
    await sink.close();
  });

  it('mails staff the alert with its case references, under a Message-ID derived from the notification id', async () => {
    const result = await channel.send(supervisorAlert);
    const [message] = sink.messagesTo('sup.shb001@example.com');
    expect(message).toMatchObject({
      from: 'alerts@courier.test',
      subject: '[SUPERVISOR] SF1234567890 PI-202611-0000001',
      messageId: '<SF1234567890-DAMAGE-1-SUPERVISOR-SHB001-S1@courier.test>',
    });
    expect(message!.headers['x-notification-id']).toBe(supervisorAlert.idempotencyKey);
    expect(message!.text).toContain('DAMAGED registered by SHB001');
    expect(message!.text).toContain('rule: S1');
    expect(result.providerRef).toBe('<SF1234567890-DAMAGE-1-SUPERVISOR-SHB001-S1@courier.test>');
  });

  it('is UNROUTED without an e-mail address', async () => {
    await expect(channel.send({ ...supervisorAlert, recipient: '13812345678' })).rejects.toBeInstanceOf(UnroutedError);
  });

  it('treats a 5xx refusal as permanent and a 4xx as transient, with the address masked', async () => {
    sink.refuseNext(1, { code: 550, message: 'mailbox fin.shb001@example.com unknown', to: 'fin.shb001@example.com' });
    const permanent = await channel.send({ ...supervisorAlert, recipient: 'fin.shb001@example.com' }).catch((e: Error) => e);
    expect(permanent).toBeInstanceOf(PermanentDeliveryError);
    expect((permanent as Error).message).not.toContain('fin.shb001@');

    sink.refuseNext(1, { code: 451, message: 'try later', to: 'rec.shb001@example.com' });
    const transient = await channel.send({ ...supervisorAlert, recipient: 'rec.shb001@example.com' }).catch((e: Error) => e);
    expect(transient).not.toBeInstanceOf(PermanentDeliveryError);
    expect(transient).toBeInstanceOf(Error);
  });
});

describe('e-mail content', () => {
  it('gives customers the message alone, without internal details', () => {
    const ticket = testNotification({ kind: 'COMPLAINT_TICKET', channel: 'EMAIL', targetRole: 'CUSTOMER', body: '您的投诉已受理，工单号 PI-202611-0000001。' });
    expect(emailSubject(ticket)).toBe('快件 SF1234567890 PI-202611-0000001');
    expect(emailText(ticket)).toBe('您的投诉已受理，工单号 PI-202611-0000001。\n');
  });

  it("lists an alert's variables for staff, the D9 flag among them", () => {
    const text = emailText({ ...supervisorAlert, kind: 'OB_ALERT', targetRole: 'OB', vars: { wrongTarget: true, notifyBranch: 'SHB009' } });
    expect(text).toContain('wrongTarget: true');
    expect(text).toContain('notifyBranch: SHB009');
  });

  it('keeps Message-IDs valid whatever the notification id holds', () => {
    expect(messageIdFor('a b:c', 'x.test')).toBe('<a_b_c@x.test>');
  });
});
