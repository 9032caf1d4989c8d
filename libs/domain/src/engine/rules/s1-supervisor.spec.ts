import { DB, Driver, HUB_A, HUB_B, pickup, registration, scan, SHA, u } from '../testing/harness.js';

describe('S1: a supervisor is told of DAMAGE and LOSS within 2 h', () => {
  it('the notification is issued while handling the registration, with its event time: S1 met', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 09:00', HUB_A), registration('11-23 09:30', HUB_A, 'DAMAGED', { evidence: [{ kind: 'PHOTO', uri: 'u', sha256: SHA('a') }] }));
    expect(d.notifications('SUPERVISOR')).toEqual([expect.objectContaining({ targetSite: HUB_A, recipient: 'sup.h01@example.com', eventTime: u('11-23 09:30') })]);
    expect(d.deadline('DAMAGE', 'S1')).toMatchObject({ status: 'MET', dueAt: u('11-23 11:30'), metAt: u('11-23 09:30') });
  });

  it('missed when no supervisor is configured for the site: escalated to HQ', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 09:30', HUB_B, 'CONTAMINATED'));
    expect(d.notifications('SUPERVISOR')).toEqual([]);
    d.fireUntil('11-23 11:30');
    expect(d.deadline('DAMAGE', 'S1').status).toBe('MISSED');
    expect(d.case('DAMAGE').liabilities).toContainEqual(expect.objectContaining({ rule: 'S1', party: 'HUB', siteCode: HUB_B }));
    expect(d.notifications('ESCALATION')).toContainEqual(expect.objectContaining({ targetSite: 'HQ', vars: expect.objectContaining({ rule: 'S1' }) }));
  });

  it('LOSS: the supervisor, and the DB and every hub it reached to search', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 07:00', HUB_A), scan('HUB_ARRIVAL', '11-23 09:00', HUB_B), registration('11-23 20:00', DB, 'LOST', { description: '手机一部，纸箱，申报价值 3000 元' }));
    expect(d.deadline('LOSS', 'S1').status).toBe('MET');
    expect(d.notifications('SEARCH').map((n) => n.targetSite).sort()).toEqual([DB, HUB_A, HUB_B]);
  });
});
