import { DB, Driver, failed, pickup, u } from '../testing/harness.js';

describe('D11: after the 2nd CANNOT_PAY failure the sender is notified at once', () => {
  it('counts only CANNOT_PAY failures and notifies the sender with the 2nd one’s event time', () => {
    const d = new Driver();
    d.feed(pickup('11-23 08:00'), failed('11-23 10:00', 1, 'CANNOT_PAY'), failed('11-24 10:00', 2, 'NOBODY_HOME'));
    expect(d.case('FAILED_DELIVERY').deadlines.some((x) => x.rule === 'D11')).toBe(false);
    expect(d.notifications('SENDER')).toEqual([]);
    d.feed(failed('11-25 10:00', 3, 'CANNOT_PAY'));
    expect(d.deadline('FAILED_DELIVERY', 'D11')).toMatchObject({ status: 'MET', dueAt: u('11-25 10:00'), metAt: u('11-25 10:00') });
    expect(d.notifications('SENDER')).toEqual([
      expect.objectContaining({ targetRole: 'SENDER', recipient: '13900001111', eventTime: u('11-25 10:00'), attempt: 3, channel: 'SMS' }),
    ]);
    d.feed(failed('11-26 10:00', 4, 'CANNOT_PAY'));
    expect(d.notifications('SENDER')).toHaveLength(1);
  });

  it('missed when the sender cannot be notified: escalated to customer service', () => {
    const d = new Driver();
    d.feed(pickup('11-23 08:00', { sender: { name: '李娜' } }), failed('11-23 10:00', 1, 'CANNOT_PAY'), failed('11-24 10:00', 2, 'CANNOT_PAY'));
    expect(d.deadline('FAILED_DELIVERY', 'D11').status).toBe('PENDING');
    d.fireUntil('11-24 10:00');
    expect(d.deadline('FAILED_DELIVERY', 'D11').status).toBe('MISSED');
    expect(d.case('FAILED_DELIVERY').liabilities).toContainEqual(expect.objectContaining({ rule: 'D11', party: 'CS', siteCode: DB }));
    expect(d.notifications('CS_ESCALATION')).toEqual([expect.objectContaining({ recipient: 'cs.db@example.com', channel: 'EMAIL', eventTime: u('11-24 10:00') })]);
  });
});
