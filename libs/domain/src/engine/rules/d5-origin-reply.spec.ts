import { DB, Driver, failed, OB, pickup, registration, reply, u } from '../testing/harness.js';

function registered(at = '11-23 11:00') {
  const d = new Driver();
  d.feed(pickup('11-23 08:00'), failed('11-23 10:00', 1), registration(at, DB, 'NOBODY_HOME'));
  return d;
}

describe('D5: the origin branch replies within 24 h of the first valid notification', () => {
  it('starts at the DB registration and is met by the OB reply at the due time', () => {
    const d = registered();
    expect(d.deadline('FAILED_DELIVERY', 'D5')).toMatchObject({ dueAt: u('11-24 11:00'), party: 'OB', siteCode: OB });
    expect(d.case('FAILED_DELIVERY').state).toBe('AWAITING_REPLY');
    d.feed(reply('11-24 11:00', 'FAILED_DELIVERY', 'DELIVER'));
    expect(d.deadline('FAILED_DELIVERY', 'D5').status).toBe('MET');
    expect(d.case('FAILED_DELIVERY').state).toBe('INSTRUCTED');
  });

  it('later registrations do not restart it; an earlier one that arrives later moves it', () => {
    const d = registered();
    d.feed(registration('11-23 15:00', DB, 'NOBODY_HOME'));
    expect(d.deadline('FAILED_DELIVERY', 'D5').dueAt).toBe(u('11-24 11:00'));
    d.feed(
      registration('11-23 16:00', DB, 'NOBODY_HOME', {
        channel: 'PHONE_FALLBACK',
        phoneRecord: { contactName: '王', phone: '0571-1', calledAt: '2026-11-23T10:30:00+08:00' },
      }),
    );
    expect(d.deadline('FAILED_DELIVERY', 'D5').dueAt).toBe(u('11-24 10:30'));
    expect(d.effectsOf('DeadlineMoved').at(-1)).toMatchObject({ previousDueAt: u('11-24 11:00') });
  });

  it('a registration to the wrong branch does not start it', () => {
    const d = new Driver();
    d.feed(pickup('11-23 08:00'), failed('11-23 10:00', 1), registration('11-23 11:00', DB, 'NOBODY_HOME', { notifyBranch: 'B0401' }));
    expect(d.case('FAILED_DELIVERY').deadlines.some((x) => x.rule === 'D5')).toBe(false);
  });

  it('missed: OB liability, NO_REPLY, the class default procedure, and the DB is told', () => {
    const d = registered();
    d.fireUntil('11-24 11:00');
    const c = d.case('FAILED_DELIVERY');
    expect(c.liabilities.find((l) => l.rule === 'D5')).toMatchObject({ party: 'OB', siteCode: OB, evidence: { noReply: true } });
    expect(c.flags.noReply).toBe(true);
    expect(d.data('FAILED_DELIVERY').defaultProcedure).toBe('ONE_MORE_ATTEMPT_THEN_RETURN');
    expect(c.state).toBe('IN_ACTION');
    expect(d.notifications('DEFAULT_PROCEDURE')).toEqual([expect.objectContaining({ targetSite: DB, eventTime: u('11-24 11:00') })]);
  });

  it('a reply stamped in time that arrives after the miss retracts it and clears NO_REPLY', () => {
    const d = registered();
    d.fireUntil('11-24 12:00');
    d.feed(reply('11-24 10:59', 'FAILED_DELIVERY', 'DELIVER'));
    const c = d.case('FAILED_DELIVERY');
    expect(d.deadline('FAILED_DELIVERY', 'D5').status).toBe('RETRACTED');
    expect(c.flags.noReply).toBe(false);
    expect(c.liabilities.map((l) => l.kind)).toContain('RETRACTION');
  });

  it('HQ may reply for the OB; another branch may not (rejected)', () => {
    const d = registered();
    const rejected = d.feed(reply('11-23 12:00', 'FAILED_DELIVERY', 'DELIVER', { siteCode: 'B0401' }));
    expect(rejected).toEqual([{ type: 'Rejected', reason: expect.stringContaining('only the origin branch B0101 or HQ') }]);
    d.feed(reply('11-23 13:00', 'FAILED_DELIVERY', 'DELIVER', { siteCode: 'HQ', siteType: 'HQ' }));
    expect(d.deadline('FAILED_DELIVERY', 'D5').status).toBe('MET');
  });

  it('Decision: complaints have no D5', () => {
    const d = new Driver();
    d.feed(pickup('11-23 08:00'), registration('11-23 11:00', DB, 'DELAY', { complaint: { customerName: '张', customerContact: '13812345678', channel: 'PHONE' } }));
    expect(d.case('COMPLAINT').deadlines.map((x) => x.rule)).toEqual(['C1', 'C2', 'C3']);
  });
});
