import { notificationEventSchema } from '#contracts';
import { notificationEvent } from './notification-event.js';
import { CaseNumberPendingError, renderBody, toOutgoing, waybillOf, type NotificationRow } from './notification-row.js';

function row(overrides: Partial<NotificationRow> = {}): NotificationRow {
  return {
    notification_id: 'SF1234567890-COMPLAINT-1-COMPLAINT_TICKET-CUSTOMER-ticket',
    case_id: 'SF1234567890-COMPLAINT-1',
    case_no: 'PI-202611-0000042',
    waybill_no: 'SF1234567890',
    kind: 'COMPLAINT_TICKET',
    channel: 'SMS',
    target_role: 'CUSTOMER',
    target_site: null,
    recipient: '13812345678',
    recipient_masked: '138****5678',
    template_key: 'COMPLAINT_TICKET',
    body: '王先生/女士您好，您对快件SF1234567890的投诉已受理，工单号 {caseNo}。',
    vars: { waybillNo: 'SF1234567890', caseId: 'SF1234567890-COMPLAINT-1' },
    event_time: new Date('2026-11-23T01:30:00Z'),
    not_before: null,
    already_sent: false,
    status: 'SENDING',
    attempts: 1,
    sent_at: null,
    ...overrides,
  };
}

describe('renderBody', () => {
  it('fills in the case number the engine could not know', () => {
    expect(renderBody(row())).toBe('王先生/女士您好，您对快件SF1234567890的投诉已受理，工单号 PI-202611-0000042。');
  });

  it('waits (a retryable error) while the case has no number', () => {
    expect(() => renderBody(row({ case_no: null }))).toThrow(CaseNumberPendingError);
  });

  it('leaves texts without the placeholder alone', () => {
    expect(renderBody(row({ body: 'no placeholder', case_no: null }))).toBe('no placeholder');
  });
});

describe('waybillOf', () => {
  it("takes the case's waybill, else the engine's vars, else the case id's prefix", () => {
    expect(waybillOf(row())).toBe('SF1234567890');
    expect(waybillOf(row({ waybill_no: null, vars: { waybillNo: 'YT0000000001' } }))).toBe('YT0000000001');
    expect(waybillOf(row({ waybill_no: null, vars: {} }))).toBe('SF1234567890');
  });
});

describe('toOutgoing', () => {
  it('carries the rendered text, the case references and the event time in ISO form', () => {
    const outgoing = toOutgoing(row());
    expect(outgoing).toMatchObject({
      idempotencyKey: row().notification_id,
      caseNo: 'PI-202611-0000042',
      waybillNo: 'SF1234567890',
      eventTime: '2026-11-23T01:30:00.000Z',
    });
    expect(outgoing.body).toContain('PI-202611-0000042');
  });
});

describe('notificationEvent', () => {
  it('builds a courier.notification.v1 message that the contract accepts, with only the masked recipient', () => {
    const event = notificationEvent(row({ vars: { attempt: 2, waybillNo: 'SF1234567890' } }), { status: 'SENT', at: new Date('2026-11-23T01:31:00Z') });
    expect(event.success).toBe(true);
    expect(notificationEventSchema.parse(event.data)).toEqual(event.data);
    expect(event.data).toMatchObject({ recipientMasked: '138****5678', attempt: 2, status: 'SENT', sentAt: '2026-11-23T01:31:00.000Z' });
    expect(JSON.stringify(event.data)).not.toContain('13812345678');
  });

  it('reports a failure with its error and a text that could not be rendered as it stood', () => {
    const event = notificationEvent(row({ case_no: null }), { status: 'FAILED', at: new Date(), error: 'FAILED: sms: HTTP 503' });
    expect(event.success).toBe(true);
    expect(event.data).toMatchObject({ status: 'FAILED', error: 'FAILED: sms: HTTP 503', caseNo: null });
  });

  it('refuses what the contract refuses instead of publishing it', () => {
    expect(notificationEvent(row({ channel: 'PIGEON' }), { status: 'SENT', at: new Date() }).success).toBe(false);
  });
});
