import { DB, Driver, HUB_A, HUB_B, pickup, RB, registration, scan, u } from '../testing/harness.js';

describe('D3: branch registration within 2 h of the theoretical arrival', () => {
  function toDb(d: Driver) {
    d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_B), scan('HUB_DEPARTURE', '11-23 16:00', HUB_B, { nextSiteCode: DB }), scan('BRANCH_ARRIVAL', '11-23 18:00', DB));
  }

  it('clock starts at the latest departure towards the branch plus the route transit (THEORETICAL)', () => {
    const d = new Driver();
    toDb(d);
    d.feed(registration('11-23 19:30', DB, 'OUT_OF_AREA'));
    // 16:00 + 90 min transit = 17:30 theoretical arrival (the item actually came at 18:00) → due 19:30
    expect(d.deadline('WRONG_ROUTING', `D3-${DB}`)).toMatchObject({
      dueAt: u('11-23 19:30'),
      armedAt: u('11-23 17:30'),
      status: 'MET',
      party: 'DB',
      detail: expect.objectContaining({ arrivalBasis: 'THEORETICAL', departureFrom: HUB_B }),
    });
  });

  it('a registration one minute late makes the DB liable', () => {
    const d = new Driver();
    toDb(d);
    d.feed(registration('11-23 19:31', DB, 'DAMAGED'));
    d.fireUntil('11-23 19:31');
    expect(d.case('DAMAGE').liabilities[0]).toMatchObject({ rule: 'D3', party: 'DB', siteCode: DB, minutesLate: 1, evidence: { arrivalBasis: 'THEORETICAL' } });
  });

  it('Decision: without a route entry the actual BRANCH_ARRIVAL starts the clock (arrivalBasis ACTUAL)', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_DEPARTURE', '11-23 16:00', HUB_A, { nextSiteCode: DB }), scan('BRANCH_ARRIVAL', '11-23 18:00', DB));
    d.feed(registration('11-23 19:00', DB, 'NO_SERVICE_POINT'));
    expect(d.deadline('WRONG_ROUTING', `D3-${DB}`)).toMatchObject({ dueAt: u('11-23 20:00'), detail: expect.objectContaining({ arrivalBasis: 'ACTUAL' }) });
  });

  it('a MISSENT detected by a BRANCH_ARRIVAL arms D3 for the receiving branch (RB), which is liable when it misses', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_DEPARTURE', '11-23 12:30', HUB_A, { nextSiteCode: RB }), scan('BRANCH_ARRIVAL', '11-23 13:45', RB));
    // H01 → B0301: 60 min transit, theoretical arrival 13:30, due 15:30
    expect(d.deadline('WRONG_ROUTING', `D3-${RB}`)).toMatchObject({ dueAt: u('11-23 15:30'), party: 'RB', status: 'PENDING' });
    d.fireUntil('11-23 15:30');
    expect(d.case('WRONG_ROUTING').liabilities[0]).toMatchObject({ rule: 'D3', party: 'RB', siteCode: RB });
  });

  it('the RB registering the MISSENT in time meets it', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 13:00', RB), registration('11-23 14:59', RB, 'MISSENT'));
    expect(d.deadline('WRONG_ROUTING', `D3-${RB}`)).toMatchObject({ status: 'MET', detail: expect.objectContaining({ arrivalBasis: 'ACTUAL' }) });
  });

  it('a missent revealed by a HUB_DEPARTURE arms nothing at the departing hub and D3 at the RB once the item arrives', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_DEPARTURE', '11-23 12:30', HUB_A, { nextSiteCode: RB }));
    expect(d.case('WRONG_ROUTING').deadlines).toEqual([]);
    d.feed(scan('BRANCH_ARRIVAL', '11-23 13:40', RB));
    expect(d.case('WRONG_ROUTING').deadlines.map((x) => x.id)).toEqual([`${d.case('WRONG_ROUTING').id}-D3-${RB}`]);
  });
});
