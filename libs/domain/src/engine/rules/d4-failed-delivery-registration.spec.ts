import { effectiveLiabilities } from '../liability.js';
import { DB, Driver, failed, OB, pickup, registration, testPolicy, u, WB } from '../testing/harness.js';

function failedAt(at: string, policyDriver = new Driver(), pickupExtra: Record<string, unknown> = {}) {
  policyDriver.feed(pickup('11-23 08:00', pickupExtra), failed(at, 1));
  return policyDriver;
}

describe('D4: the failed attempt is registered by the end of that local day', () => {
  it('is due at 23:59:59.999 local and met by a registration in its last millisecond', () => {
    const d = failedAt('11-23 10:00');
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1').dueAt).toBe(u('11-23 23:59:59.999'));
    d.feed(registration('11-23 23:59:59.999', DB, 'NOBODY_HOME'));
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1')).toMatchObject({ status: 'MET', metAt: u('11-23 23:59:59.999') });
  });

  it('a registration at 00:00:00.000 the next day is late: the DB is liable under D4', () => {
    const d = failedAt('11-23 10:00');
    d.fireUntil('11-24 00:00');
    d.feed(registration('11-24 00:00', DB, 'NOBODY_HOME'));
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1').status).toBe('MISSED');
    expect(d.case('FAILED_DELIVERY').liabilities).toEqual([expect.objectContaining({ rule: 'D4', party: 'DB', siteCode: DB, metAt: null })]);
  });

  it('uses the branch closeTime when configured', () => {
    const base = testPolicy();
    const policy = testPolicy({ sites: { ...base.sites, [DB]: { ...base.sites[DB], closeTime: '18:00' } } });
    const d = failedAt('11-23 10:00', new Driver(policy));
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1').dueAt).toBe(u('11-23 18:00'));
    d.feed(registration('11-23 18:00:00.001', DB, 'NOBODY_HOME'));
    d.fireUntil('11-23 18:01');
    expect(d.case('FAILED_DELIVERY').liabilities[0]).toMatchObject({ rule: 'D4', minutesLate: 1 });
  });

  it('arms one deadline per attempt; a registration before an attempt does not count for it', () => {
    const d = failedAt('11-23 10:00');
    d.feed(registration('11-23 11:00', DB, 'NOBODY_HOME'), failed('11-23 16:00', 2));
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1').status).toBe('MET');
    expect(d.deadline('FAILED_DELIVERY', 'D4-a2').status).toBe('PENDING');
    d.fireAll();
    const d4 = effectiveLiabilities(d.case('FAILED_DELIVERY')).filter((l) => l.record.rule === 'D4');
    expect(d4.map((l) => l.record.deadlineId)).toEqual([`${d.case('FAILED_DELIVERY').id}-D4-a2`]);
  });

  describe('D9: the registration must reach the real origin branch', () => {
    it('a registration naming another branch does not meet D4; the liability carries D9', () => {
      const d = failedAt('11-23 10:00');
      d.feed(registration('11-23 11:00', DB, 'NOBODY_HOME', { notifyBranch: 'B0401' }));
      expect(d.case('FAILED_DELIVERY').flags.wrongTarget).toBe(true);
      d.fireAll();
      expect(d.case('FAILED_DELIVERY').liabilities.find((l) => l.deadlineId?.endsWith('D4-a1'))).toMatchObject({ rule: 'D9', party: 'DB' });
    });

    it('with no registration in time at all the rule is D4, not D9', () => {
      const d = failedAt('11-23 10:00');
      d.feed(registration('11-24 09:00', DB, 'NOBODY_HOME', { notifyBranch: 'B0401' }));
      d.fireAll();
      expect(d.case('FAILED_DELIVERY').liabilities.find((l) => l.deadlineId?.endsWith('D4-a1'))?.rule).toBe('D4');
    });

    it('naming the right branch (or none) meets it', () => {
      const d = failedAt('11-23 10:00');
      d.feed(registration('11-23 11:00', DB, 'NOBODY_HOME', { notifyBranch: OB }));
      expect(d.deadline('FAILED_DELIVERY', 'D4-a1').status).toBe('MET');
    });
  });

  describe('D8: phone fallback', () => {
    const phone = (calledAt: string) => ({ channel: 'PHONE_FALLBACK', phoneRecord: { contactName: '王经理', phone: '0571-88886666', calledAt: `2026-${calledAt.replace(' ', 'T')}:00+08:00` } });

    it('the call time is the notification time, though it was entered the next morning', () => {
      const d = failedAt('11-23 10:00');
      d.feed(registration('11-24 09:00', DB, 'NOBODY_HOME', phone('11-23 22:00')));
      expect(d.deadline('FAILED_DELIVERY', 'D4-a1')).toMatchObject({ status: 'MET', metAt: u('11-23 22:00') });
    });

    it('without all three fields it proves nothing: D4 is missed and the liability carries D8', () => {
      // The contract rejects such an event; a staff system calling the engine directly is held to the same rule.
      const d = failedAt('11-23 10:00');
      const event = {
        kind: 'exception' as const,
        eventId: 'phone-no-proof',
        schemaVersion: 1 as const,
        waybillNo: WB,
        occurredAt: '2026-11-23T15:00:00+08:00',
        siteCode: DB,
        siteType: 'BRANCH' as const,
        reasonCode: 'NOBODY_HOME' as const,
        channel: 'PHONE_FALLBACK' as const,
      };
      d.input({ kind: 'event', event });
      expect(d.deadline('FAILED_DELIVERY', 'D4-a1').status).toBe('PENDING');
      d.fireUntil('11-24 00:00');
      expect(d.case('FAILED_DELIVERY').liabilities[0]).toMatchObject({ rule: 'D8', party: 'DB', evidence: expect.objectContaining({ registrationsInTime: [expect.objectContaining({ proofComplete: false })] }) });
    });

    it('entered after the deadline fired: the overdue is retracted by a new record (never edited)', () => {
      const d = failedAt('11-23 10:00');
      d.fireUntil('11-24 00:00');
      const [record] = d.case('FAILED_DELIVERY').liabilities;
      expect(record).toMatchObject({ kind: 'RECORD', rule: 'D4' });
      d.feed(registration('11-24 09:00', DB, 'NOBODY_HOME', phone('11-23 22:00')));
      const c = d.case('FAILED_DELIVERY');
      expect(d.deadline('FAILED_DELIVERY', 'D4-a1')).toMatchObject({ status: 'RETRACTED', metAt: u('11-23 22:00') });
      expect(c.liabilities).toEqual([record, expect.objectContaining({ kind: 'RETRACTION', refersTo: record.id, rule: 'D4' })]);
      expect(effectiveLiabilities(c)).toEqual([]);
      expect(c.flags.overdue).toEqual([]);
      expect(d.effectsOf('DeadlineRetracted')).toHaveLength(1);
    });
  });

  describe('D10: favourable to the DB', () => {
    it.each([
      ['no mobile', { recipient: { name: '张伟', address: '上海' } }],
      ['an invalid mobile', { recipient: { name: '张伟', address: '上海', mobile: '555-0100' } }],
    ])('with %s the miss is recorded on the deadline but no DB liability is created', (_name, extra) => {
      const d = failedAt('11-23 10:00', new Driver(), extra);
      d.fireAll();
      const c = d.case('FAILED_DELIVERY');
      expect(c.flags.favourableToDb).toBe(true);
      expect(d.deadline('FAILED_DELIVERY', 'D4-a1')).toMatchObject({ status: 'MISSED', detail: expect.objectContaining({ favourableToDb: true }) });
      expect(c.liabilities.filter((l) => l.party === 'DB')).toEqual([]);
    });
  });
});
