import { parseInputMessage, type ParseResult, type RawInputMessage } from './parse.js';
import { REASON_CLASS, REASON_CODES, classOfReason } from './reason-codes.js';
import { kindOfExample, validExamples, WAYBILL, type ExampleName } from './testing/examples.js';
import { inputKindOfTopic, TOPICS } from './topics.js';

const NOW = new Date('2026-11-23T12:00:00+08:00');

function parse(kind: RawInputMessage['kind'], value: unknown, key: string | null = WAYBILL): ParseResult {
  return parseInputMessage({ kind, key, value: typeof value === 'string' ? value : JSON.stringify(value), now: NOW });
}

function reasonOf(result: ParseResult): string {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.reason;
}

describe('parseInputMessage: valid input', () => {
  it.each(Object.keys(validExamples) as ExampleName[])('accepts the %s example', (name) => {
    const result = parse(kindOfExample(name), validExamples[name]());
    expect(result).toMatchObject({ ok: true, event: { kind: kindOfExample(name), waybillNo: WAYBILL } });
  });

  it('accepts the value as bytes (a Kafka Buffer) and keeps times exactly as sent', () => {
    const result = parseInputMessage({
      kind: 'scan',
      key: Buffer.from(WAYBILL),
      value: Buffer.from(JSON.stringify(validExamples.pickup())),
      now: NOW,
    });
    expect(result.ok && result.event.occurredAt).toBe('2026-11-23T09:30:00+08:00');
  });

  it('converts COD and other money to fen exactly', () => {
    const pickup = parse('scan', validExamples.pickup());
    expect(pickup.ok && pickup.event.kind === 'scan' && pickup.event.scanType === 'PICKUP' && pickup.event.cod).toEqual({
      amount: 128.5,
      method: 'CASH',
      amountFen: 12850,
    });
    const change = parse('exception', validExamples.codChange());
    expect(change.ok && change.event.kind === 'exception' && change.event.codChange?.newAmountFen).toBe(9999);
    const payment = parse('exception', validExamples.paymentChange());
    expect(payment.ok && payment.event.kind === 'exception' && payment.event.paymentChange?.newFreightAmountFen).toBe(1800);
  });

  it('defaults channel to ONLINE', () => {
    const result = parse('exception', validExamples.registration());
    expect(result.ok && result.event.kind === 'exception' && result.event.channel).toBe('ONLINE');
  });

  it('takes kind from the topic, never from the payload', () => {
    const result = parse('scan', { ...validExamples.signed(), kind: 'reply' });
    expect(result.ok && result.event.kind).toBe('scan');
  });

  it('does not mistake a string value that starts with ":" for a duplicated key', () => {
    const result = parse('scan', { ...validExamples.signed(), signer: ':本人', operatorId: ' : ' });
    expect(result.ok).toBe(true);
  });

  it('applies an event however late it arrives: no bound relative to processing time (rules §3, replays)', () => {
    const fourHundredDaysAgo = new Date(NOW.getTime() - 400 * 86_400_000).toISOString();
    expect(parse('scan', { ...validExamples.signed(), occurredAt: fourHundredDaysAgo }).ok).toBe(true);
    expect(parse('scan', { ...validExamples.signed(), occurredAt: '2000-01-01T00:00:00Z' }).ok).toBe(true);
  });

  it('accepts characters outside the BMP (a surrogate pair) and drops an unknown field whatever it holds', () => {
    expect(parse('scan', { ...validExamples.signed(), signer: '王😀' }).ok).toBe(true);
    expect(parse('scan', { ...validExamples.signed(), vendorNote: 'a\u0000b' }).ok).toBe(true);
  });

  it('drops unknown extra fields (producers may add optional ones)', () => {
    const result = parse('scan', { ...validExamples.signed(), vendorExtension: { a: 1 } });
    expect(result.ok && 'vendorExtension' in result.event).toBe(false);
  });

  it('accepts Z as an offset and an event up to 7 days ahead', () => {
    const sevenDays = new Date(NOW.getTime() + 7 * 86_400_000).toISOString();
    expect(parse('scan', { ...validExamples.signed(), occurredAt: sevenDays }).ok).toBe(true);
  });
});

describe('parseInputMessage: every kind of bad input gives its reason', () => {
  it.each<[string, () => ParseResult, RegExp]>([
    ['invalid JSON', () => parse('scan', '{"eventId": '), /^invalid JSON: /],
    ['not an object', () => parse('scan', '[1,2]'), /payload must be a JSON object, got an array/],
    ['empty value', () => parseInputMessage({ kind: 'scan', key: WAYBILL, value: null, now: NOW }), /tombstone/],
    [
      'payload over 256 KiB',
      () => parse('exception', { ...validExamples.registration(), description: 'x'.repeat(300_000) }),
      /^payload is 300\d{3} bytes, over the 256 KiB limit$/,
    ],
    [
      'invalid UTF-8',
      () => parseInputMessage({ kind: 'scan', key: WAYBILL, value: Uint8Array.from([0x7b, 0xff, 0x7d]), now: NOW }),
      /not valid UTF-8/,
    ],
    ['deeply nested JSON', () => parse('scan', `${'['.repeat(1000)}${']'.repeat(1000)}`), /JSON object/],
    [
      'deeply nested object',
      () => parse('scan', { ...validExamples.signed(), extra: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }),
      /nests deeper than 16 levels/,
    ],
    ['time without offset', () => parse('scan', { ...validExamples.signed(), occurredAt: '2026-11-23T09:30:00' }), /^occurredAt: timestamp must carry an offset$/],
    ['not a timestamp', () => parse('scan', { ...validExamples.signed(), occurredAt: 'yesterday' }), /^occurredAt: "yesterday" is not an ISO-8601 timestamp/],
    ['impossible date', () => parse('scan', { ...validExamples.signed(), occurredAt: '2026-02-30T09:30:00+08:00' }), /not a valid date and time/],
    ['bad waybillNo', () => parse('scan', { ...validExamples.signed(), waybillNo: 'zt-1' }, 'zt-1'), /^waybillNo: must match \[A-Z0-9\]\{8,20\}$/],
    ['key differs', () => parse('scan', validExamples.signed(), 'ZT0000000000'), /^key "ZT0000000000" differs from waybillNo "ZT1234567890"$/],
    ['key missing', () => parse('scan', validExamples.signed(), null), /^key is missing/],
    ['unknown reason code', () => parse('exception', { ...validExamples.registration(), reasonCode: 'FOO' }), /^reasonCode: unknown code "FOO"$/],
    [
      'DELIVERY_FAILED with a reason of another class',
      () => parse('scan', { ...validExamples.deliveryFailed(), reasonCode: 'DAMAGED' }),
      /^scanType: DELIVERY_FAILED needs reasonCode of class FAILED_DELIVERY/,
    ],
    ['phone fallback without phoneRecord', () => parse('exception', { ...validExamples.phoneFallback(), phoneRecord: undefined }), /^phoneRecord: required when channel = PHONE_FALLBACK$/],
    [
      'phone record missing the call time',
      () => parse('exception', { ...validExamples.phoneFallback(), phoneRecord: { contactName: '王', phone: '1' } }),
      /^phoneRecord\.calledAt: required$/,
    ],
    [
      'call after the registration',
      () =>
        parse('exception', {
          ...validExamples.phoneFallback(),
          phoneRecord: { contactName: '王', phone: '1', calledAt: '2026-11-23T19:00:00+08:00' },
        }),
      /^phoneRecord\.calledAt: the call cannot be after occurredAt/,
    ],
    ['wrong type', () => parse('scan', { ...validExamples.pickup(), pieces: '2' }), /^pieces: must be a number$/],
    ['zero attempts', () => parse('scan', { ...validExamples.deliveryFailed(), attempt: 0 }), /^attempt: must be a whole number ≥ 1$/],
    ['negative attempts', () => parse('scan', { ...validExamples.deliveryFailed(), attempt: -2 }), /^attempt: must be a whole number ≥ 1$/],
    ['fractional attempts', () => parse('scan', { ...validExamples.deliveryFailed(), attempt: 1.5 }), /^attempt: must be a whole number$/],
    [
      'duplicated JSON key',
      () => parse('scan', JSON.stringify(validExamples.signed()).replace('"signer":"本人"', '"signer":"first","signer":"last"')),
      /^duplicated key "signer": a JSON parser keeps only one of the values, so which one the sender meant is ambiguous$/,
    ],
    [
      'duplicated key in a nested object',
      () => parse('scan', JSON.stringify(validExamples.pickup()).replace('"name":"张伟"', '"name":"张伟","name":"李"')),
      /^duplicated key "name" in recipient: /,
    ],
    ['clock never set (1970)', () => parse('scan', { ...validExamples.signed(), occurredAt: '1970-01-01T08:00:00+08:00' }), /^occurredAt: 1970-01-01T08:00:00\+08:00 is before 2000-01-01T00:00:00Z: a device clock that was never set/],
    ['just before 2000 in UTC', () => parse('scan', { ...validExamples.signed(), occurredAt: '2000-01-01T07:59:59+08:00' }), /^occurredAt: .* is before 2000-01-01T00:00:00Z/],
    ['year 0000', () => parse('scan', { ...validExamples.signed(), occurredAt: '0000-01-01T08:00:00+08:00' }), /^occurredAt: .* is before 2000/],
    [
      'phone call in 1970',
      () => parse('exception', { ...validExamples.phoneFallback(), phoneRecord: { contactName: '王', phone: '1', calledAt: '1970-01-01T00:00:00Z' } }),
      /^phoneRecord\.calledAt: .* is before 2000/,
    ],
    ['NUL in a text field', () => parse('scan', { ...validExamples.signed(), signer: '本\u0000人' }), /^signer: contains U\+0000 \(NUL\), which no text of an event may hold$/],
    ['NUL in a nested text field', () => parse('scan', { ...validExamples.pickup(), recipient: { name: 'a\u0000', address: 'x' } }), /^recipient\.name: contains U\+0000/],
    ['unpaired surrogate', () => parse('scan', { ...validExamples.signed(), operatorId: 'op\ud800' }), /^operatorId: contains an unpaired UTF-16 surrogate \(\\ud800\), which is not a character$/],
    ['caseRef missing', () => parse('reply', { ...validExamples.replyByCaseNo(), caseRef: undefined }), /^caseRef: required$/],
    ['wrong topic (a scan on the reply topic)', () => parse('reply', validExamples.signed()), /^caseRef: required; instruction: required; repliedBy: required$/],
    ['unknown schemaVersion', () => parse('scan', { ...validExamples.signed(), schemaVersion: 2 }), /^schemaVersion: unsupported schemaVersion 2/],
    ['missing field', () => parse('scan', { ...validExamples.signed(), signer: undefined }), /^signer: required$/],
    ['missing eventId', () => parse('scan', { ...validExamples.signed(), eventId: undefined }), /^eventId: required$/],
    ['eventId too long', () => parse('scan', { ...validExamples.signed(), eventId: 'e'.repeat(65) }), /^eventId: must be at most 64 characters$/],
    ['unknown scan type', () => parse('scan', { ...validExamples.signed(), scanType: 'TELEPORTED' }), /^scanType: unknown scanType "TELEPORTED"/],
    ['missing scan type', () => parse('scan', { ...validExamples.signed(), scanType: undefined }), /^scanType: required$/],
    ['huge string', () => parse('exception', { ...validExamples.registration(), description: 'x'.repeat(2001) }), /^description: must be at most 2000 characters$/],
    ['COD with 3 decimals', () => parse('scan', { ...validExamples.pickup(), cod: { amount: 1.005, method: 'CASH' } }), /^cod\.amount: must have at most 2 decimals$/],
    ['negative COD', () => parse('scan', { ...validExamples.pickup(), cod: { amount: -1, method: 'CASH' } }), /^cod\.amount: must not be negative$/],
    ['unknown enum value', () => parse('scan', { ...validExamples.pickup(), freightPayer: 'NOBODY' }), /^freightPayer: "NOBODY" is not one of SENDER, RECIPIENT$/],
    ['hub scan from a branch', () => parse('scan', { ...validExamples.hubArrival(), siteType: 'BRANCH' }), /^siteType: a HUB_ARRIVAL scan must come from a HUB$/],
    ['HQ registering', () => parse('exception', { ...validExamples.registration(), siteType: 'HQ' }), /^siteType: "HQ" is not one of HUB, BRANCH$/],
    ['bad evidence hash', () => parse('exception', { ...validExamples.registration(), evidence: [{ kind: 'PHOTO', uri: 'x', sha256: 'nope' }] }), /^evidence\[0\]\.sha256: must be a SHA-256/],
    ['class payload on the wrong class', () => parse('exception', { ...validExamples.registration(), codChange: {} }), /^codChange: only allowed for a reasonCode of class COD_CHANGE/],
    ['complaint without its details', () => parse('exception', { ...validExamples.complaint(), complaint: undefined }), /^complaint: required for a reasonCode of class COMPLAINT$/],
    ['reply without newAddress', () => parse('reply', { ...validExamples.replyByClass(), newAddress: undefined }), /^newAddress: required when instruction = REDELIVER_NEW_ADDRESS$/],
    ['malformed caseRef', () => parse('reply', { ...validExamples.replyByCaseNo(), caseRef: { caseNo: 'PI-1' } }), /^caseRef/],
    ['caseRef of another waybill', () => parse('reply', { ...validExamples.replyByClass(), caseRef: { waybillNo: 'ZT0000000000', class: 'LOSS' } }), /^caseRef\.waybillNo: "ZT0000000000" differs from waybillNo/],
    ['RESOLVE without a reason', () => parse('action', { ...validExamples.action(), note: '  ' }), /^note: required for RESOLVE/],
    ['unknown instruction', () => parse('reply', { ...validExamples.replyByCaseNo(), instruction: 'BURN' }), /^instruction: "BURN" is not one of DELIVER/],
    [
      'more than 7 days ahead',
      () => parse('scan', { ...validExamples.signed(), occurredAt: '2026-12-01T12:00:01+08:00' }),
      /^occurredAt: 2026-12-01T12:00:01\+08:00 is more than 7 days after the processing time 2026-11-23T04:00:00.000Z$/,
    ],
  ])('%s', (_name, run, expected) => {
    expect(reasonOf(run())).toMatch(expected);
  });

  it('gives printable reasons: control characters and unpaired surrogates escaped, length capped', () => {
    const reasons = [
      reasonOf(parse('scan', '\u0000garbage')),
      reasonOf(parse('scan', { ...validExamples.signed(), occurredAt: 'a\u0001\ud800' })),
      reasonOf(parse('scan', `{"a\\u0000":1,"a\\u0000":2}`)),
      reasonOf(parse('scan', { ...validExamples.signed(), occurredAt: '\u0000'.repeat(39) })),
    ];
    const long = reasonOf(parse('scan', validExamples.signed(), `😀${'K'.repeat(991)}😀😀`));
    expect(long).toMatch(/^key "😀K+…$/);
    expect(long.length).toBeLessThanOrEqual(1000);
    reasons.push(long);
    expect(reasons[0]).toMatch(/^invalid JSON: Unexpected token '\\u0000'/);
    for (const reason of reasons) {
      expect(reason).not.toMatch(/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      expect(reason.length).toBeLessThanOrEqual(1000);
    }
    const duplicated = parse('scan', `{"a\\u0000":1,"a\\u0000":2}`);
    expect(duplicated).toMatchObject({ ok: false, field: 'a\\u0000' });
  });

  it('names the offending field', () => {
    const result = parse('exception', { ...validExamples.phoneFallback(), phoneRecord: { contactName: '王', phone: '1' } });
    expect(result).toMatchObject({ ok: false, field: 'phoneRecord.calledAt' });
  });

  it('lists at most three problems, then how many more', () => {
    const reason = reasonOf(parse('scan', { scanType: 'SIGNED' }));
    expect(reason.split('; ')).toHaveLength(4);
    expect(reason).toMatch(/and \d+ more$/);
  });
});

describe('reason codes (rules.md §2)', () => {
  it('maps every code to exactly one class', () => {
    expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
    expect(Object.keys(REASON_CLASS)).toHaveLength(REASON_CODES.length);
    expect(classOfReason('CANNOT_PAY')).toBe('FAILED_DELIVERY');
    expect(classOfReason('LABEL_DETACHED')).toBe('WRONG_ROUTING');
    expect(() => classOfReason('FOO')).toThrow('unknown reason code "FOO"');
  });
});

describe('topics', () => {
  it('maps input topics to kinds', () => {
    expect(inputKindOfTopic(TOPICS.reply)).toBe('reply');
    expect(inputKindOfTopic(TOPICS.dlq)).toBeNull();
    expect(inputKindOfTopic('x.scan', { scan: 'x.scan', exception: 'x.exc', reply: 'x.rep', action: 'x.act' })).toBe('scan');
  });
});
