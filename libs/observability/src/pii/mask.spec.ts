import { isPiiFieldName, maskAddress, maskEmail, maskName, maskPhone, maskPii, maskText, piiKindOfField } from './mask.js';

describe('maskPhone', () => {
  it.each([
    ['13812345678', '138****5678'],
    ['19912345678', '199****5678'],
    ['138-1234-5678', '138****5678'],
    ['138 1234 5678', '138****5678'],
    ['+8613812345678', '+86138****5678'],
    ['+86 138 1234 5678', '+86 138****5678'],
  ])('masks the Chinese mobile %s as %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it('accepts a number', () => {
    expect(maskPhone(13812345678)).toBe('138****5678');
  });

  it('keeps only the last 4 digits of other numbers, whatever their format', () => {
    expect(maskPhone('021-61234567')).toBe('***-****4567');
    expect(maskPhone('12345678901234')).toBe('**********1234');
  });

  it('masks short numbers entirely and leaves text without digits alone', () => {
    expect(maskPhone('8001')).toBe('****');
    expect(maskPhone('unknown')).toBe('unknown');
  });
});

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['欧阳娜娜', '欧*'],
    ['李', '李*'],
    ['  王小明 ', '王*'],
    ['John Smith', 'J*'],
    ['𠀋山', '𠀋*'], // a character outside the BMP stays whole
    ['', ''],
  ])('keeps only the first character of %j', (input, expected) => {
    expect(maskName(input)).toBe(expected);
  });
});

describe('maskAddress', () => {
  it.each([
    ['上海市浦东新区张江路100号3楼', '上海市浦东新区****'],
    ['北京市朝阳区建国路88号', '北京市朝阳区****'],
    ['浙江省杭州市西湖区文三路90号', '浙江省杭州市西湖区****'],
    ['新疆维吾尔自治区乌鲁木齐市天山区解放北路1号', '新疆维吾尔自治区乌鲁木齐市天山区****'],
    ['河北省保定市易县城关镇', '河北省保定市易县****'],
  ])('keeps the administrative divisions of %s', (input, expected) => {
    expect(maskAddress(input)).toBe(expected);
  });

  it('masks an address without recognisable divisions entirely', () => {
    expect(maskAddress('Flat 5, 10 Downing Street')).toBe('****');
    expect(maskAddress('张江路100号')).toBe('****');
  });

  it('never keeps the street or the house number', () => {
    const masked = maskAddress('广东省深圳市南山区科技园科苑路15号');
    expect(masked).not.toContain('科苑路');
    expect(masked).not.toMatch(/\d/);
  });
});

describe('maskEmail', () => {
  it('masks the local part and keeps the domain', () => {
    expect(maskEmail('zhang.san@example.com')).toBe('z***@example.com');
    expect(maskEmail('write to a@b.cn or to Li.Si+cs@mail.example.org')).toBe('write to a***@b.cn or to L***@mail.example.org');
  });
});

describe('maskText (strings embedded in messages)', () => {
  it('masks mobiles and e-mails inside free text', () => {
    expect(maskText('客户13812345678不在家, 已联系 zhang@example.com')).toBe('客户138****5678不在家, 已联系 z***@example.com');
    expect(maskText('call tel:+86-13912345678 now')).toBe('call tel:+86-139****5678 now');
    expect(maskText('GET /cases?mobile=13812345678&x=1')).toBe('GET /cases?mobile=138****5678&x=1');
  });

  it('leaves waybill numbers, timestamps and longer digit runs alone', () => {
    const untouched = [
      'waybill SF13812345678901 arrived',
      'waybill SF13812345678 arrived',
      'waybill 13812345678SH arrived',
      'waybill 1381234567890 arrived',
      'at 2026-11-23T09:30:00+08:00',
      'offset 138123456789',
      'nothing personal here',
    ];
    for (const text of untouched) expect(maskText(text)).toBe(text);
  });
});

describe('piiKindOfField', () => {
  it.each([
    ['mobile', 'phone'],
    ['phone', 'phone'],
    ['courierPhone', 'phone'],
    ['recipientMobile', 'phone'],
    ['name', 'name'],
    ['contactName', 'name'],
    ['customerName', 'name'],
    ['signer', 'name'],
    ['address', 'address'],
    ['newAddress', 'address'],
    ['customerContact', 'contact'],
    ['email', 'email'],
    ['recipient', 'person'],
    ['sender', 'person'],
  ])('%s holds %s', (key, kind) => {
    expect(piiKindOfField(key)).toBe(kind);
    expect(isPiiFieldName(key)).toBe(true);
  });

  it.each(['waybillNo', 'caseNo', 'eventId', 'siteCode', 'reasonCode', 'remoteAddress', 'hostname', 'surname', 'occurredAt'])(
    '%s is not personal data',
    (key) => {
      expect(piiKindOfField(key)).toBeUndefined();
    },
  );
});

describe('maskPii', () => {
  it('masks a string like free text', () => {
    expect(maskPii('recipient 13812345678')).toBe('recipient 138****5678');
  });

  it('masks a PICKUP scan: recipient, sender, nested at any depth, and keeps the rest', () => {
    const pickup = {
      eventId: 'e-1',
      waybillNo: '13812345678',
      scanType: 'PICKUP',
      occurredAt: '2026-11-23T09:30:00+08:00',
      pieces: 2,
      recipient: { name: '张三', mobile: '13812345678', address: '上海市浦东新区张江路100号', gender: 'M' },
      sender: { name: '李四', mobile: 13987654321, address: '北京市朝阳区建国路88号' },
      cod: { amount: 99.5, method: 'CASH' },
    };
    expect(maskPii(pickup)).toEqual({
      eventId: 'e-1',
      waybillNo: '13812345678', // identifier: kept even though it looks like a mobile
      scanType: 'PICKUP',
      occurredAt: '2026-11-23T09:30:00+08:00',
      pieces: 2,
      recipient: { name: '张*', mobile: '138****5678', address: '上海市浦东新区****', gender: 'M' },
      sender: { name: '李*', mobile: '139****4321', address: '北京市朝阳区****' },
      cod: { amount: 99.5, method: 'CASH' },
    });
  });

  it('masks a phone-fallback registration and a complaint', () => {
    const registration = {
      reasonCode: 'NOBODY_HOME',
      description: '电话13812345678无人接听',
      phoneRecord: { contactName: '王五', phone: '021-61234567', calledAt: '2026-11-23T10:00:00+08:00' },
      complaint: { customerName: '赵六', customerContact: 'zhao@example.com', channel: 'EMAIL' },
    };
    expect(maskPii(registration)).toEqual({
      reasonCode: 'NOBODY_HOME',
      description: '电话138****5678无人接听',
      phoneRecord: { contactName: '王*', phone: '***-****4567', calledAt: '2026-11-23T10:00:00+08:00' },
      complaint: { customerName: '赵*', customerContact: 'z***@example.com', channel: 'EMAIL' },
    });
  });

  it('masks a customer contact given as a phone number or a handle', () => {
    expect(maskPii({ customerContact: '13812345678' })).toEqual({ customerContact: '138****5678' });
    expect(maskPii({ customerContact: 'wechat-zhangsan' })).toEqual({ customerContact: 'w*' });
  });

  it('masks arrays: of events, of phone numbers, and of strings', () => {
    const batch = [{ recipient: { name: '张三' } }, { recipient: { name: '李四' } }];
    expect(maskPii(batch)).toEqual([{ recipient: { name: '张*' } }, { recipient: { name: '李*' } }]);
    expect(maskPii({ mobiles: ['13812345678', '13987654321'] })).toEqual({ mobiles: ['138****5678', '139****4321'] });
    expect(maskPii(['13812345678', 'ok'])).toEqual(['138****5678', 'ok']);
  });

  it('masks a structured address and a recipient given as a plain string', () => {
    expect(maskPii({ address: { city: '上海市', street: '张江路100号' } })).toEqual({ address: { city: '上海市****', street: '****' } });
    expect(maskPii({ recipient: '张三', sender: '李四' })).toEqual({ recipient: '张*', sender: '李*' });
  });

  it('masks deeply nested data (an event inside a DLQ record inside a log object)', () => {
    const record = { dlq: { reason: 'bad field', original: { value: { recipient: { mobile: '13812345678' } } } } };
    expect(maskPii(record)).toEqual({ dlq: { reason: 'bad field', original: { value: { recipient: { mobile: '138****5678' } } } } });
  });

  it('does not mutate its input', () => {
    const input = { recipient: { name: '张三', mobile: '13812345678' } };
    const snapshot = structuredClone(input);
    maskPii(input);
    expect(input).toEqual(snapshot);
  });

  it('survives circular references', () => {
    const node: Record<string, unknown> = { name: '张三' };
    node.self = node;
    expect(maskPii(node)).toEqual({ name: '张*', self: '[Circular]' });
  });

  it('keeps shared (non-circular) references', () => {
    const person = { name: '张三' };
    expect(maskPii({ a: person, b: person })).toEqual({ a: { name: '张*' }, b: { name: '张*' } });
  });

  it('returns class instances, dates and non-string primitives as they are', () => {
    const when = new Date('2026-11-23T01:30:00Z');
    const error = new Error('13812345678');
    const masked = maskPii({ when, error, ok: true, count: 13812345678, nothing: null }) as Record<string, unknown>;
    expect(masked.when).toBe(when);
    expect(masked.error).toBe(error); // the logger's err serializer masks errors
    expect(masked).toMatchObject({ ok: true, count: 13812345678, nothing: null });
  });
});
