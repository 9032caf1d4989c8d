import { Driver, HUB_A, HUB_B, HUB_OFF_ROUTE, pickup, registration, scan, testPolicy, u } from '../testing/harness.js';

function arriveAndRegister(arrival: string, registered: string | null, hub = HUB_B) {
  const d = new Driver();
  d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', arrival, hub));
  if (registered) d.feed(registration(registered, hub, 'DAMAGED'));
  return d;
}

describe('D2: hub registration by the first 10:00 after the hub arrival', () => {
  it.each([
    ['09:59', '11-23 10:00'],
    ['10:00', '11-24 10:00'], // Decision: exactly 10:00:00 is due the next day
    ['10:01', '11-24 10:00'],
  ])('an arrival at %s is due at %s', (arrival, due) => {
    const d = arriveAndRegister(`11-23 ${arrival}`, '11-23 23:00');
    expect(d.deadline('DAMAGE', `D2-${HUB_B}`).dueAt).toBe(u(due));
  });

  it('is met by the hub registering at exactly the due time', () => {
    const d = arriveAndRegister('11-23 09:30', '11-23 10:00');
    expect(d.deadline('DAMAGE', `D2-${HUB_B}`)).toMatchObject({ status: 'MET', metAt: u('11-23 10:00') });
  });

  it('a registration 1 ms late makes the hub liable, 1 minute late', () => {
    const d = arriveAndRegister('11-23 09:30', '11-23 10:00:00.001');
    d.fireUntil('11-23 10:05');
    expect(d.deadline('DAMAGE', `D2-${HUB_B}`).status).toBe('MISSED');
    expect(d.case('DAMAGE').liabilities).toEqual([
      expect.objectContaining({ kind: 'RECORD', rule: 'D2', party: 'HUB', siteCode: HUB_B, minutesLate: 1, metAt: u('11-23 10:00:00.001') }),
    ]);
  });

  it('applies to MISSENT and NO_SERVICE_POINT registered by a hub, not to other reasons', () => {
    const missent = arriveAndRegister('11-23 09:30', null);
    missent.feed(registration('11-23 09:45', HUB_B, 'NO_SERVICE_POINT'));
    expect(missent.deadline('WRONG_ROUTING', `D2-${HUB_B}`).status).toBe('MET');
    const other = arriveAndRegister('11-23 09:30', null);
    other.feed(registration('11-23 09:45', HUB_B, 'LABEL_DETACHED'));
    expect(other.case('WRONG_ROUTING').deadlines).toEqual([]);
  });

  it('a MISSENT detected by a HUB_ARRIVAL off hubRoutes arms D2 for that hub, met by its registration', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 08:00', HUB_OFF_ROUTE));
    expect(d.deadline('WRONG_ROUTING', `D2-${HUB_OFF_ROUTE}`)).toMatchObject({ status: 'PENDING', dueAt: u('11-23 10:00'), party: 'HUB' });
    d.feed(registration('11-23 09:10', HUB_OFF_ROUTE, 'MISSENT'));
    expect(d.deadline('WRONG_ROUTING', `D2-${HUB_OFF_ROUTE}`).status).toBe('MET');
  });

  it('is armed only once the hub arrival scan is known (a registration may overtake it)', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 11:00', HUB_A, 'CONTAMINATED'));
    expect(d.case('DAMAGE').deadlines.filter((x) => x.rule === 'D2')).toEqual([]);
    d.feed(scan('HUB_ARRIVAL', '11-23 09:00', HUB_A));
    d.fireUntil('11-23 12:00');
    expect(d.deadline('DAMAGE', `D2-${HUB_A}`)).toMatchObject({ dueAt: u('11-23 10:00'), status: 'MISSED' });
  });

  it('uses the configured cutoff time', () => {
    const d = new Driver(testPolicy({ d2CutoffTime: '08:30' }));
    d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 08:30', HUB_B), registration('11-23 09:00', HUB_B, 'DAMAGED'));
    expect(d.deadline('DAMAGE', `D2-${HUB_B}`).dueAt).toBe(u('11-24 08:30'));
  });
});
