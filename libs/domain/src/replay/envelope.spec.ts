import { inferKind, kindOfTopic, readEnvelope } from './envelope.js';

const scan = { eventId: 'e1', waybillNo: 'ZT0000000001', scanType: 'HUB_ARRIVAL' };

describe('readEnvelope', () => {
  it('reads a Kafka-style envelope with an object value', () => {
    expect(readEnvelope(JSON.stringify({ topic: 'courier.scan.v1', key: 'ZT0000000001', value: scan }))).toEqual({
      ok: true,
      kind: 'scan',
      key: 'ZT0000000001',
      value: JSON.stringify(scan),
    });
  });

  it('passes a raw string value through untouched, so the parser judges it', () => {
    expect(readEnvelope({ topic: 'courier.exception.v1', key: 'K', value: '{not json' })).toEqual({
      ok: true,
      kind: 'exception',
      key: 'K',
      value: '{not json',
    });
  });

  it('keys a message without key by its waybill number', () => {
    const reading = readEnvelope({ topic: 'courier.scan.v1', value: JSON.stringify(scan) });
    expect(reading).toMatchObject({ ok: true, key: 'ZT0000000001' });
    expect(readEnvelope({ topic: 'courier.scan.v1', value: '{' })).toMatchObject({ ok: true, key: null });
  });

  it('accepts a bare event and infers its kind', () => {
    expect(readEnvelope(JSON.stringify(scan))).toMatchObject({ ok: true, kind: 'scan', key: 'ZT0000000001' });
    expect(inferKind({ instruction: 'RETURN' })).toBe('reply');
    expect(inferKind({ action: 'RESOLVE' })).toBe('action');
    expect(inferKind({ reasonCode: 'DAMAGED' })).toBe('exception');
  });

  it('maps default and prefixed topic names', () => {
    expect(kindOfTopic('courier.reply.v1')).toBe('reply');
    expect(kindOfTopic('test-42.courier.action.v1')).toBe('action');
    expect(kindOfTopic('courier.case.v1')).toBeNull();
  });

  it.each([
    ['{"topic":', 'invalid envelope: not JSON'],
    ['[1,2]', 'invalid envelope: not a JSON object'],
    ['{"topic": 7, "value": {}}', 'invalid envelope: topic must be a string'],
    ['{"topic": "courier.case.v1", "value": {}}', 'invalid envelope: not an input topic "courier.case.v1"'],
    ['{"topic": "courier.scan.v1", "key": "K"}', 'invalid envelope: no value'],
    ['{"topic": "courier.scan.v1", "key": 5, "value": {}}', 'invalid envelope: key must be a string'],
  ])('rejects %s', (line, reason) => {
    expect(readEnvelope(line)).toEqual({ ok: false, reason });
  });
});
