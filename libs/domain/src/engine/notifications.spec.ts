import { honorificOf, normaliseMobile, surnameOf } from './notifications.js';
import { DB, Driver, failed, OB, pickup, registration, scan, u, WB } from './testing/harness.js';

function failedOnce(at: string, pickupExtra: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, reason = 'NOBODY_HOME') {
  const d = new Driver();
  d.feed(pickup('11-23 06:00', pickupExtra), scan('OUT_FOR_DELIVERY', '11-23 07:00', DB, { courierId: 'c1', courierPhone: '13700001111' }), failed(at, 1, reason, extra));
  return d;
}

describe('§6 notifications', () => {
  describe('the OB is told of every registration (D9)', () => {
    it('a registration naming the wrong branch still reaches the real OB, flagged wrongTarget', () => {
      const d = failedOnce('11-23 10:00');
      d.feed(registration('11-23 11:00', DB, 'NOBODY_HOME', { notifyBranch: 'B0401' }));
      expect(d.notifications('OB_ALERT')).toEqual([
        expect.objectContaining({ targetSite: OB, targetRole: 'OB', vars: expect.objectContaining({ wrongTarget: true, notifyBranch: 'B0401' }) }),
      ]);
    });

    it('phone fallback (D8): the OB alert carries the backdated call time', () => {
      const d = failedOnce('11-23 10:00');
      d.feed(
        registration('11-24 08:00', DB, 'NOBODY_HOME', { channel: 'PHONE_FALLBACK', phoneRecord: { contactName: '王', phone: '0571-1', calledAt: '2026-11-23T20:15:00+08:00' } }),
      );
      expect(d.notifications('OB_ALERT')[0]).toMatchObject({ eventTime: u('11-23 20:15'), vars: expect.objectContaining({ channel: 'PHONE_FALLBACK' }) });
    });

    it('the OB also hears when the DB’s registration deadline is missed', () => {
      const d = failedOnce('11-23 10:00');
      d.fireUntil('11-24 00:00');
      expect(d.notifications('OB_ALERT')).toEqual([expect.objectContaining({ eventTime: u('11-23 23:59:59.999'), vars: expect.objectContaining({ rule: 'D4' }) })]);
    });
  });

  describe('customer SMS per failed attempt (D10)', () => {
    it('from the template: surname + honorific, tracking number, brand, courier phone — never the full name', () => {
      const d = failedOnce('11-23 10:00');
      const [sms] = d.notifications('CUSTOMER_SMS');
      expect(sms).toMatchObject({ channel: 'SMS', targetRole: 'RECIPIENT', recipient: '13812345678', attempt: 1, alreadySent: false, notBefore: null, eventTime: u('11-23 10:00') });
      expect(sms.body).toBe(`张先生您好，ZT快件${WB}今日派送未成功，快递员电话13700001111。`);
      expect(sms.body).not.toContain('张伟');
    });

    it('uses the template for the reason when configured, and the brand hotline without a courier phone', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1, 'ADDRESS_UNCLEAR'));
      expect(d.notifications('CUSTOMER_SMS')[0].body).toBe(`张先生，ZT快件${WB}地址不详，请致电95311。`);
    });

    it.each([
      ['F', '女士'],
      [undefined, '先生/女士'],
    ])('honorific for gender %s is %s', (gender, honorific) => {
      const d = failedOnce('11-23 10:00', { recipient: { name: '欧阳娜娜', mobile: '13812345678', address: '上海', ...(gender ? { gender } : {}) } });
      expect(d.notifications('CUSTOMER_SMS')[0].body.startsWith(`欧阳${honorific}`)).toBe(true);
    });

    it('smsSent: true → recorded as evidence of the attempt, nothing is sent', () => {
      const d = failedOnce('11-23 10:00', {}, { smsSent: true });
      expect(d.notifications('CUSTOMER_SMS')).toEqual([expect.objectContaining({ alreadySent: true })]);
      expect(d.data('FAILED_DELIVERY').attempts[0].smsEvidence).toBe('HANDHELD');
    });

    it('no or an invalid mobile: no SMS, and the case is favourable to the DB', () => {
      const d = failedOnce('11-23 10:00', { recipient: { name: '张伟', address: '上海', mobile: '1234' } });
      expect(d.notifications('CUSTOMER_SMS')).toEqual([]);
      expect(d.data('FAILED_DELIVERY').attempts[0].smsEvidence).toBe('NONE');
      expect(d.case('FAILED_DELIVERY').flags.favourableToDb).toBe(true);
    });

    it('one SMS per attempt, never two for the same attempt', () => {
      const d = failedOnce('11-23 10:00');
      d.feed(failed('11-24 10:00', 2));
      expect(d.notifications('CUSTOMER_SMS').map((n) => n.id)).toEqual([`${WB}-FAILED_DELIVERY-1-CUSTOMER_SMS-RECIPIENT-1`, `${WB}-FAILED_DELIVERY-1-CUSTOMER_SMS-RECIPIENT-2`]);
    });

    it.each([
      ['20:59', null],
      ['21:00', '11-24 08:00'],
      ['07:59', '11-23 08:00'],
      ['08:00', null],
    ])('quiet hours: an attempt at %s is held until %s', (at, release) => {
      const d = failedOnce(`11-23 ${at}`);
      expect(d.notifications('CUSTOMER_SMS')[0].notBefore).toBe(release ? u(release) : null);
    });

    it('the courier is the one on the latest OUT_FOR_DELIVERY', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('OUT_FOR_DELIVERY', '11-23 07:00', DB, { courierId: 'c1', courierPhone: '13700001111' }));
      d.feed(scan('OUT_FOR_DELIVERY', '11-23 09:00', DB, { courierId: 'c2', courierPhone: '13700002222' }), failed('11-23 10:00', 1));
      expect(d.notifications('CUSTOMER_SMS')[0].vars.courierPhone).toBe('13700002222');
    });
  });

  describe('staff per site', () => {
    it('each role §5 names is told even when it is the registering site itself', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'WEIGHT_MISMATCH'));
      expect(d.notifications('RECONCILIATION')).toEqual([expect.objectContaining({ targetSite: DB, channel: 'EMAIL' })]);
    });

    it('a role without a contact falls back to the site’s alert inbox (except the S1 supervisor)', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00', { destinationBranch: 'B0401' }), registration('11-23 10:00', 'B0401', 'WEIGHT_MISMATCH'));
      expect(d.notifications('RECONCILIATION')).toEqual([expect.objectContaining({ channel: 'BRANCH_ALERT', targetRole: 'RECONCILIATION', recipient: null })]);
    });
  });

  it('identities are deterministic (case, kind, target, attempt): a redelivery or a re-run issues nothing new', () => {
    const d = new Driver();
    const attempt = failed('11-23 10:00', 1);
    d.feed(pickup('11-23 06:00'), attempt);
    const issued = d.notifications().map((n) => n.id);
    expect(issued).toEqual([`${WB}-FAILED_DELIVERY-1-CUSTOMER_SMS-RECIPIENT-1`, `${WB}-FAILED_DELIVERY-1-SITE_ALERT-${DB}-1`]);
    d.feed(attempt);
    expect(d.notifications().map((n) => n.id)).toEqual(issued);
    const rerun = new Driver();
    rerun.feed(pickup('11-23 06:00'), attempt);
    expect(rerun.notifications().map((n) => n.id)).toEqual(issued);
  });
});

describe('personal data helpers', () => {
  it.each([
    ['张伟', '张'],
    ['欧阳娜娜', '欧阳'],
    ['司马', '司'],
    ['John Smith', 'Smith'],
    ['  王  ', '王'],
  ])('surnameOf(%s) = %s', (name, surname) => {
    expect(surnameOf(name)).toBe(surname);
  });

  it('honorifics', () => {
    expect([honorificOf('M'), honorificOf('F'), honorificOf(null)]).toEqual(['先生', '女士', '先生/女士']);
  });

  it.each([
    ['13812345678', '13812345678'],
    ['+86 138-1234-5678', '13812345678'],
    ['008613812345678', '13812345678'],
    ['12812345678', null],
    ['0571-88886666', null],
    ['', null],
    [null, null],
  ])('normaliseMobile(%s) = %s', (raw, expected) => {
    expect(normaliseMobile(raw)).toBe(expected);
  });
});
