import { action, DB, Driver, failed, OB, pickup, registration, reply, scan, testPolicy, u } from './testing/harness.js';

describe('§7 states and timeline', () => {
  it('OPEN → AWAITING_REPLY → INSTRUCTED → IN_ACTION → RESOLVED → CLOSED, each step with actor, time and source event', () => {
    const d = new Driver();
    const failure = failed('11-23 10:00', 1, 'NOBODY_HOME', { operatorId: 'op-9' });
    const reg = registration('11-23 11:00', DB, 'NOBODY_HOME');
    const answer = reply('11-23 15:00', 'FAILED_DELIVERY', 'REDELIVER_NEW_ADDRESS');
    const out = scan('OUT_FOR_DELIVERY', '11-24 09:00', DB, { courierId: 'c1' });
    const signed = scan('SIGNED', '11-24 11:00', DB, { signer: '本人' });
    d.feed(pickup('11-23 06:00'), failure, reg, answer, out, signed);
    expect(d.case('FAILED_DELIVERY').timeline).toEqual([
      { at: u('11-23 10:00'), from: null, to: 'OPEN', actor: 'op-9', sourceEventId: failure.value.eventId },
      { at: u('11-23 11:00'), from: 'OPEN', to: 'AWAITING_REPLY', actor: DB, sourceEventId: reg.value.eventId },
      { at: u('11-23 15:00'), from: 'AWAITING_REPLY', to: 'INSTRUCTED', actor: '赵主管', sourceEventId: answer.value.eventId },
      { at: u('11-24 09:00'), from: 'INSTRUCTED', to: 'IN_ACTION', actor: DB, sourceEventId: out.value.eventId },
      { at: u('11-24 11:00'), from: 'IN_ACTION', to: 'RESOLVED', actor: DB, sourceEventId: signed.value.eventId, note: 'outcome DELIVERED' },
      { at: u('11-24 11:00'), from: 'RESOLVED', to: 'CLOSED', actor: DB, sourceEventId: signed.value.eventId },
    ]);
    expect(d.effectsOf('CaseChanged').map((e) => `${e.from}→${e.to}`)).toEqual([
      'OPEN→AWAITING_REPLY',
      'AWAITING_REPLY→INSTRUCTED',
      'INSTRUCTED→IN_ACTION',
      'IN_ACTION→RESOLVED',
      'RESOLVED→CLOSED',
    ]);
  });

  it('a registration by a site other than the DB leaves the case NOTIFIED (no D5 to await)', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 10:00', 'H01', 'DAMAGED'));
    expect(d.case('DAMAGE').state).toBe('NOTIFIED');
  });

  it('the case-number month is the local month of the opening event', () => {
    const d = new Driver();
    d.feed(pickup('11-30 06:00'), failed('12-01 00:30', 1)); // 2026-11-30T16:30Z is already December locally
    expect(d.case('FAILED_DELIVERY')).toMatchObject({ caseNoMonth: '202612', caseNo: null });
  });

  describe('escalation ladder after an overdue', () => {
    it('at once: the responsible site; +2 h: its supervisor (ESC1); +24 h: HQ (ESC2)', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
      d.fireUntil('11-24 00:00');
      const c = d.case('FAILED_DELIVERY');
      expect(d.notifications('OVERDUE')).toEqual([expect.objectContaining({ targetSite: DB, targetRole: 'DB', eventTime: u('11-23 23:59:59.999') })]);
      expect(d.deadline('FAILED_DELIVERY', 'ESC1')).toMatchObject({ dueAt: u('11-24 01:59:59.999'), status: 'PENDING', party: 'DB', siteCode: DB });
      expect(d.deadline('FAILED_DELIVERY', 'ESC2').dueAt).toBe(u('11-24 23:59:59.999'));
      d.fireUntil('11-24 02:00');
      expect(d.case('FAILED_DELIVERY').flags.escalationLevel).toBe(1);
      expect(d.effectsOf('Escalated')).toEqual([{ type: 'Escalated', caseId: c.id, level: 1, rule: 'D4' }]);
      expect(d.notifications('ESCALATION')).toEqual([expect.objectContaining({ recipient: 'sup.db@example.com' })]);
      d.fireUntil('11-25 00:00');
      expect(d.case('FAILED_DELIVERY').flags.escalationLevel).toBe(2);
      expect(d.notifications('ESCALATION').at(-1)).toMatchObject({ targetSite: 'HQ' });
    });

    it('closing the case first cancels the remaining steps', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
      d.fireUntil('11-24 00:00');
      d.feed(scan('SIGNED', '11-24 01:00', DB, { signer: '本人' }));
      expect(d.deadline('FAILED_DELIVERY', 'ESC1')).toMatchObject({ status: 'CANCELLED', cancelledAt: u('11-24 01:00') });
      expect(d.deadline('FAILED_DELIVERY', 'ESC2').status).toBe('CANCELLED');
    });

    it('a retracted overdue withdraws the ladder', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
      d.fireUntil('11-24 00:00');
      d.feed(registration('11-23 23:00', DB, 'NOBODY_HOME'));
      expect(d.deadline('FAILED_DELIVERY', 'ESC1')).toMatchObject({ status: 'CANCELLED', detail: expect.objectContaining({ withdrawn: true }) });
    });

    it('a ladder withdrawn by a retraction and re-armed by a later overdue follows the new liable party and site', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
      d.fireUntil('11-24 00:00'); // D4 missed: the ladder answers to the DB
      d.feed(registration('11-23 23:00', DB, 'NOBODY_HOME')); // late proof: D4 retracted, the ladder withdrawn; D5 armed for the OB
      expect(d.deadline('FAILED_DELIVERY', 'ESC1')).toMatchObject({ status: 'CANCELLED', party: 'DB', siteCode: DB });
      d.fireUntil('11-24 23:00'); // D5 (due 24 h after the registration) missed by the OB: the ladder comes back for it
      expect(d.deadline('FAILED_DELIVERY', 'ESC1')).toMatchObject({ status: 'PENDING', dueAt: u('11-25 01:00'), party: 'OB', siteCode: OB });
      const rearmed = d.effectsOf('DeadlineArmed').filter((e) => e.deadline.rule === 'ESC2').at(-1);
      expect(rearmed?.deadline).toMatchObject({ status: 'PENDING', party: 'OB', siteCode: OB });
      d.fireUntil('11-25 01:00');
      expect(d.notifications('ESCALATION').at(-1)).toMatchObject({ recipient: 'sup.ob@example.com', vars: expect.objectContaining({ rule: 'D5', party: 'OB', site: OB }) });
    });

    it('follows policy.escalation', () => {
      const d = new Driver(testPolicy({ escalation: { steps: [{ afterMinutes: 0, target: 'HQ' }, { afterMinutes: 30, target: 'SUPERVISOR' }, { afterMinutes: 60, target: 'SITE' }, { afterMinutes: 90, target: 'HQ' }] } }));
      d.feed(pickup('11-23 06:00'), registration('11-23 09:00', OB, 'DELAY', { complaint: { customerName: '张', customerContact: 'x@y.cn', channel: 'EMAIL' } }));
      d.feed(action('11-23 10:00', 'COMPLAINT', 'COMPLAINT_CONTACTED'), action('11-23 11:00', 'COMPLAINT', 'COMPLAINT_RESPONDED'));
      d.fireUntil('11-26 23:59:59.999');
      const c = d.case('COMPLAINT');
      expect(c.deadlines.filter((x) => x.rule.startsWith('ESC')).map((x) => [x.rule, x.dueAt])).toEqual([
        ['ESC1', u('11-27 00:29:59.999')],
        ['ESC2', u('11-27 00:59:59.999')],
        ['ESC3', u('11-27 01:29:59.999')],
      ]);
      expect(d.notifications('ESCALATION')).toEqual([expect.objectContaining({ targetSite: 'HQ', vars: expect.objectContaining({ rule: 'C3' }) })]);
      d.fireAll();
      expect(d.case('COMPLAINT').flags.escalationLevel).toBe(3);
    });
  });
});
