import { action, DB, Driver, pickup, registration, u } from '../testing/harness.js';

const complaint = { complaint: { customerName: '张先生', customerContact: '13812345678', channel: 'PHONE' } };

function complained(at: string) {
  const d = new Driver();
  d.feed(pickup('09-01 08:00'), registration(at, DB, 'DELAY', complaint));
  return d;
}

describe('C1–C3: complaint handling deadlines', () => {
  it('C1 +12 h, C2 +24 h, C3 end of the 3rd working day after the registration day', () => {
    const d = complained('11-23 10:00'); // Monday
    expect(d.deadline('COMPLAINT', 'C1').dueAt).toBe(u('11-23 22:00'));
    expect(d.deadline('COMPLAINT', 'C2').dueAt).toBe(u('11-24 10:00'));
    expect(d.deadline('COMPLAINT', 'C3').dueAt).toBe(u('11-26 23:59:59.999'));
  });

  it('a Saturday registration is due at the end of Wednesday (C3 over a weekend)', () => {
    expect(complained('11-28 10:00').deadline('COMPLAINT', 'C3').dueAt).toBe(u('12-02 23:59:59.999'));
  });

  it('holidays do not count and an extra working day does (C3 over a holiday)', () => {
    // 09-30 Wed; 10-01, 10-02, 10-05..07 holidays; 10-08 Thu, 10-09 Fri, 10-10 Sat (extra working day)
    expect(complained('09-30 16:00').deadline('COMPLAINT', 'C3').dueAt).toBe(u('10-10 23:59:59.999'));
  });

  it('actions meet them; a later action also meets the earlier steps; the answer closes the case', () => {
    const d = complained('11-23 10:00');
    d.feed(action('11-23 21:59', 'COMPLAINT', 'COMPLAINT_CONTACTED'));
    expect(d.deadline('COMPLAINT', 'C1').status).toBe('MET');
    expect(d.case('COMPLAINT').state).toBe('IN_ACTION');
    d.feed(action('11-24 09:00', 'COMPLAINT', 'COMPLAINT_ANSWERED'));
    expect(d.deadline('COMPLAINT', 'C2')).toMatchObject({ status: 'MET', metAt: u('11-24 09:00') });
    expect(d.deadline('COMPLAINT', 'C3').status).toBe('MET');
    expect(d.case('COMPLAINT')).toMatchObject({ state: 'CLOSED', outcome: 'ANSWERED' });
  });

  it('missed: C1 escalates to the supervisor, C3 to the manager (CS of the registering site liable)', () => {
    const d = complained('11-23 10:00');
    d.fireUntil('11-26 23:59:59.999');
    const escalations = d.notifications('COMPLAINT_ESCALATION');
    expect(escalations.map((n) => [n.vars.rule, n.recipient])).toEqual([
      ['C1', 'sup.db@example.com'],
      ['C2', 'sup.db@example.com'],
      ['C3', 'mgr.db@example.com'],
    ]);
    expect(d.case('COMPLAINT').liabilities.map((l) => [l.rule, l.party, l.siteCode])).toEqual([
      ['C1', 'CS', DB],
      ['C2', 'CS', DB],
      ['C3', 'CS', DB],
    ]);
  });

  it('an action that arrives before its complaint is held and applied when the complaint is registered', () => {
    const d = new Driver();
    d.feed(pickup('11-23 08:00'), action('11-23 11:00', 'COMPLAINT', 'COMPLAINT_CONTACTED'));
    expect(d.cases).toEqual([]);
    d.feed(registration('11-23 10:00', DB, 'DELAY', complaint));
    expect(d.deadline('COMPLAINT', 'C1').status).toBe('MET');
  });

  it('the customer gets the ticket', () => {
    const d = complained('11-23 10:00');
    expect(d.notifications('COMPLAINT_TICKET')).toEqual([expect.objectContaining({ targetRole: 'CUSTOMER', recipient: '13812345678', channel: 'SMS' })]);
  });
});
