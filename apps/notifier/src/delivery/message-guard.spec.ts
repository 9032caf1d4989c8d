import { renderSmsTemplate } from '#domain';
import { RejectedContentError, UnroutedError } from '../channels/notification-channel.js';
import { assertNoPersonalData, personalDataLeaks, requireMobile, type PersonOnFile } from './message-guard.js';

const recipient: PersonOnFile = { name: '欧阳娜娜', mobile: '13812345678', address: '上海市浦东新区世纪大道100号' };
const sender: PersonOnFile = { name: '李华', mobile: '+86 139 0000 1111', address: '上海市闵行区莘庄镇莘松路8号' };
const people = [recipient, sender];
const template = '{surname}{honorific}您好，{brand}快件{waybillNo}今日派送未成功，请您收到信息后及时联系快递员{courierPhone}。';
const sms = (vars: Record<string, string>) =>
  renderSmsTemplate(template, { surname: '欧阳', honorific: '女士', waybillNo: 'SF1234567890', brand: 'EXPRESS', courierPhone: '13700002222', ...vars });

describe('requireMobile', () => {
  it('accepts a mainland mobile in any common notation and returns its 11 digits', () => {
    expect(requireMobile('13812345678')).toBe('13812345678');
    expect(requireMobile('+86 138-1234-5678')).toBe('13812345678');
  });

  it.each([
    [null, 'recipient has no mobile number'],
    ['', 'recipient has no mobile number'],
    ['021-12345678', 'not a valid mainland mobile'],
    ['1381234567', 'not a valid mainland mobile'],
    ['12812345678', 'not a valid mainland mobile'],
  ])('refuses %p as UNROUTED (%s)', (raw, reason) => {
    expect(() => requireMobile(raw)).toThrow(UnroutedError);
    expect(() => requireMobile(raw)).toThrow(reason);
  });
});

describe('personalDataLeaks', () => {
  const options = { allowedSurname: '欧阳', recipient: '13812345678' };

  it('passes the template SMS: surname and honorific, tracking number, brand and the courier phone', () => {
    expect(personalDataLeaks(sms({}), people, options)).toEqual([]);
  });

  it('finds the full name, and the given name on its own', () => {
    expect(personalDataLeaks(sms({ surname: '欧阳娜娜' }), people, options)).toContain('the full name of a person on the waybill');
    expect(personalDataLeaks('娜娜您好', people, options)).toEqual(['the given name of a person on the waybill']);
  });

  it("finds a phone number of the recipient or the sender, however it is written", () => {
    expect(personalDataLeaks(sms({ courierPhone: '138 1234 5678' }), people, options)).toEqual(['a mobile number of a person on the waybill']);
    expect(personalDataLeaks('回电 139-0000-1111', people, options)).toEqual(['a mobile number of a person on the waybill']);
  });

  it('finds the street part of an address, but allows the city and district alone', () => {
    expect(personalDataLeaks('送至世纪大道100号未果', people, options)).toEqual(['the address of a person on the waybill']);
    expect(personalDataLeaks('上海市浦东新区的快件', people, options)).toEqual([]);
  });

  it('judges the sender by their full name when no surname was rendered', () => {
    expect(personalDataLeaks('寄件人李华您好', people, {})).toEqual(['the full name of a person on the waybill']);
  });

  it('names the kind of data in its refusal, never the data', () => {
    const attempt = () => assertNoPersonalData(sms({ surname: '欧阳娜娜', courierPhone: '13812345678' }), people, options);
    expect(attempt).toThrow(RejectedContentError);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toMatch(/娜娜|13812345678/);
    }
  });
});
