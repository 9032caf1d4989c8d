import { caseEventSchema, notificationEventSchema, toDlqRecord } from './output-events.js';

describe('courier.dlq.v1 record', () => {
  it('keeps the original key, value bytes, headers, topic, partition and offset', () => {
    const value = Uint8Array.from([0x7b, 0xff, 0x00]);
    const record = toDlqRecord({
      topic: 'courier.scan.v1',
      partition: 3,
      offset: 42n,
      key: Buffer.from('ZT1234567890'),
      value,
      headers: { traceparent: '00-abc', multi: [Buffer.from('a'), 'b'], gone: undefined },
      reason: 'invalid JSON: Unexpected token',
      field: 'value',
      rejectedAt: new Date('2026-11-23T04:00:00Z'),
    });
    expect(record).toEqual({
      schemaVersion: 1,
      topic: 'courier.scan.v1',
      partition: 3,
      offset: '42',
      key: 'ZT1234567890',
      keyBase64: Buffer.from('ZT1234567890').toString('base64'),
      valueBase64: Buffer.from(value).toString('base64'),
      headers: { traceparent: Buffer.from('00-abc').toString('base64'), multi: ['YQ==', 'Yg=='] },
      reason: 'invalid JSON: Unexpected token',
      field: 'value',
      rejectedAt: '2026-11-23T04:00:00.000Z',
    });
    expect(Buffer.from(record.valueBase64!, 'base64')).toEqual(Buffer.from(value));
  });

  it('handles a binary key and a tombstone', () => {
    const record = toDlqRecord({
      topic: 't',
      partition: 0,
      offset: '7',
      key: Uint8Array.from([0xff]),
      value: null,
      reason: 'empty message',
      rejectedAt: '2026-11-23T04:00:00Z',
    });
    expect(record).toMatchObject({ key: null, keyBase64: '/w==', valueBase64: null, field: null });
  });

  it('keeps only storable text: a key with a NUL byte is in keyBase64 only, reasons and header names are escaped', () => {
    const record = toDlqRecord({
      topic: 't',
      partition: 0,
      offset: '8',
      key: Buffer.from('ZT\u00001'),
      value: Buffer.from('x'),
      headers: { 'a\u0000b': 'v' },
      reason: `invalid JSON: Unexpected token '\u0000', "\u0000\ud800" is not valid JSON`,
      rejectedAt: '2026-11-23T04:00:00Z',
    });
    expect(record.key).toBeNull();
    expect(Buffer.from(record.keyBase64!, 'base64').toString()).toBe('ZT\u00001');
    expect(record.reason).toBe(`invalid JSON: Unexpected token '\\u0000', "\\u0000\\ud800" is not valid JSON`);
    expect(Object.keys(record.headers)).toEqual(['a\\u0000b']);
  });
});

describe('output event schemas', () => {
  const caseEvent = {
    schemaVersion: 1,
    eventId: 'ZT1234567890-FAILED_DELIVERY-1-CASE_OPENED',
    type: 'CASE_OVERDUE',
    occurredAt: '2026-11-23T15:59:59.999Z',
    emittedAt: '2026-11-23T16:00:01.000Z',
    waybillNo: 'ZT1234567890',
    caseId: 'ZT1234567890-FAILED_DELIVERY-1',
    caseNo: 'PI-202611-0000001',
    caseClass: 'FAILED_DELIVERY',
    reasonCode: 'NOBODY_HOME',
    state: 'OPEN',
    outcome: null,
    originBranch: 'B0101',
    deliveringBranch: 'B0201',
    flags: { overdue: [{ rule: 'D4', party: 'DB', siteCode: 'B0201' }], escalationLevel: 0, noReply: false, underHqReview: false, favourableToDb: false, wrongTarget: false },
    deadline: { id: 'ZT1234567890-FAILED_DELIVERY-1-D4-a1', rule: 'D4', dueAt: '2026-11-23T15:59:59.999Z', status: 'MISSED', party: 'DB', siteCode: 'B0201' },
  };

  it('accepts a case event and rejects an unknown rule or state', () => {
    expect(caseEventSchema.safeParse(caseEvent).success).toBe(true);
    expect(caseEventSchema.safeParse({ ...caseEvent, state: 'LIMBO' }).success).toBe(false);
    expect(caseEventSchema.safeParse({ ...caseEvent, deadline: { ...caseEvent.deadline, rule: 'D12' } }).success).toBe(false);
  });

  it('accepts a notification and requires a timestamp with offset', () => {
    const notification = {
      schemaVersion: 1,
      notificationId: 'ZT1234567890-FAILED_DELIVERY-1-CUSTOMER_SMS-RECIPIENT-a1',
      caseId: 'ZT1234567890-FAILED_DELIVERY-1',
      caseNo: null,
      waybillNo: 'ZT1234567890',
      kind: 'CUSTOMER_SMS',
      channel: 'SMS',
      targetRole: 'RECIPIENT',
      targetSite: null,
      recipientMasked: '138****5678',
      body: '张先生您好…',
      eventTime: '2026-11-23T06:00:00.000Z',
      notBefore: null,
      sentAt: '2026-11-23T06:00:02.000Z',
      attempt: 1,
      status: 'SENT',
    };
    expect(notificationEventSchema.safeParse(notification).success).toBe(true);
    expect(notificationEventSchema.safeParse({ ...notification, sentAt: '2026-11-23T06:00:02' }).success).toBe(false);
  });
});
