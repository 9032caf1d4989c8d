import { DB, Driver, failed, HUB_A, HUB_B, HUB_OFF_ROUTE, OB, pickup, RB, registration, scan, testPolicy, u } from './testing/harness.js';

describe('§2.1 classification from scans', () => {
  describe('MISSENT', () => {
    it('by a BRANCH_ARRIVAL at a branch other than the delivering branch: the RB is alerted', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 13:00', RB));
      expect(d.case('WRONG_ROUTING')).toMatchObject({ reasonCode: 'MISSENT', detectedBy: 'SCAN', reportedBySite: RB, openedAt: u('11-23 13:00') });
      expect(d.notifications('SITE_ALERT')).toEqual([expect.objectContaining({ targetSite: RB, targetRole: 'RB', channel: 'WEBHOOK', recipient: 'https://rb.example.com/hook' })]);
    });

    it('by a HUB_DEPARTURE towards another branch: the branch it is heading to is alerted', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_DEPARTURE', '11-23 12:00', HUB_A, { nextSiteCode: RB }));
      expect(d.case('WRONG_ROUTING').reportedBySite).toBe(HUB_A);
      expect(d.notifications('SITE_ALERT')).toEqual([expect.objectContaining({ targetSite: RB })]);
    });

    it('a HUB_DEPARTURE towards a hub or the delivering branch is normal', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_DEPARTURE', '11-23 12:00', HUB_A, { nextSiteCode: HUB_B }), scan('HUB_DEPARTURE', '11-23 15:00', HUB_B, { nextSiteCode: DB }));
      expect(d.cases).toEqual([]);
    });

    it('by a HUB_ARRIVAL at a hub not in hubRoutes of the delivering branch', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_A), scan('HUB_ARRIVAL', '11-23 16:00', HUB_OFF_ROUTE));
      expect(d.cases.map((c) => [c.caseClass, c.reasonCode, c.reportedBySite])).toEqual([['WRONG_ROUTING', 'MISSENT', HUB_OFF_ROUTE]]);
    });

    it('without a hubRoutes list for the branch, hub arrivals never open MISSENT', () => {
      const d = new Driver(testPolicy({ hubRoutes: {} }));
      d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_OFF_ROUTE));
      expect(d.cases).toEqual([]);
    });

    it('the return trip to the origin branch after RETURN_DISPATCHED is not a missent', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 10:00', DB), scan('RETURN_DISPATCHED', '11-23 15:00', DB));
      d.feed(scan('HUB_ARRIVAL', '11-23 18:00', HUB_A), scan('HUB_DEPARTURE', '11-23 19:00', HUB_A, { nextSiteCode: OB }), scan('BRANCH_ARRIVAL', '11-23 21:00', OB));
      expect(d.cases).toEqual([]);
    });

    it('one open case per waybill and class: further sightings join it', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_DEPARTURE', '11-23 12:00', HUB_A, { nextSiteCode: RB }), scan('BRANCH_ARRIVAL', '11-23 13:00', RB));
      expect(d.cases).toHaveLength(1);
      expect(d.data('WRONG_ROUTING').detections.map((x) => x.how)).toEqual(['HUB_DEPARTURE', 'BRANCH_ARRIVAL']);
    });
  });

  describe('HELD_AT_HUB', () => {
    it('by a HOLD scan at a hub (the hub is alerted); a HOLD at a branch opens nothing', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HOLD', '11-23 08:00', OB), scan('HOLD', '11-23 13:00', HUB_A, { reasonCode: 'HELD_AT_HUB' }));
      expect(d.cases.map((c) => [c.reasonCode, c.reportedBySite])).toEqual([['HELD_AT_HUB', HUB_A]]);
      expect(d.notifications('SITE_ALERT')[0]).toMatchObject({ targetSite: HUB_A, targetRole: 'HUB' });
    });

    it('by the dwell limit: no onward movement within 12 h of the latest HUB_ARRIVAL opens it at that moment', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_A));
      expect(d.state!.timers).toEqual([expect.objectContaining({ rule: 'DWELL', dueAt: u('11-24 00:00'), siteCode: HUB_A, status: 'PENDING' })]);
      d.fireUntil('11-24 00:30');
      expect(d.case('WRONG_ROUTING')).toMatchObject({ reasonCode: 'HELD_AT_HUB', detectedBy: 'DWELL_TIMER', openedAt: u('11-24 00:00'), caseNoMonth: '202611' });
      expect(d.state!.timers[0]).toMatchObject({ status: 'MISSED', missedAt: u('11-24 00:30') });
    });

    it('a later arrival at the same hub restarts the limit', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_A), scan('HUB_ARRIVAL', '11-23 13:00', HUB_A));
      expect(d.state!.timers).toEqual([expect.objectContaining({ dueAt: u('11-24 01:00') })]);
      expect(d.effectsOf('DeadlineMoved')).toHaveLength(1);
    });

    it.each([
      ['a departure from that hub', scan('HUB_DEPARTURE', '11-24 00:00', HUB_A, { nextSiteCode: HUB_B })],
      ['any scan at another site', scan('HUB_ARRIVAL', '11-23 20:00', HUB_B)],
    ])('onward movement in time meets it: %s', (_name, movement) => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_A), movement);
      expect(d.state!.timers[0]).toMatchObject({ status: 'MET' });
      d.fireUntil('11-24 01:00');
      expect(d.cases.filter((c) => c.reasonCode === 'HELD_AT_HUB' && c.reportedBySite === HUB_A)).toEqual([]);
    });

    it('a scan that arrives late but shows movement in time retracts the dwell detection', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 12:00', HUB_A));
      d.fireUntil('11-24 01:00');
      d.feed(scan('HUB_DEPARTURE', '11-23 23:00', HUB_A, { nextSiteCode: HUB_B }));
      expect(d.state!.timers[0]).toMatchObject({ status: 'RETRACTED', metAt: u('11-23 23:00') });
      expect(d.case('WRONG_ROUTING')).toMatchObject({ state: 'CLOSED', outcome: 'RESOLVED' });
    });
  });

  describe('FAILED_DELIVERY', () => {
    it('each DELIVERY_FAILED is an attempt of one case, counted per waybill; the DB is alerted to register it', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1, 'NOBODY_HOME'), failed('11-24 10:00', 2, 'CANNOT_PAY'));
      expect(d.cases).toHaveLength(1);
      expect(d.data('FAILED_DELIVERY').attempts.map((a) => [a.n, a.reasonCode, a.cannotPayNo])).toEqual([
        [1, 'NOBODY_HOME', null],
        [2, 'CANNOT_PAY', 1],
      ]);
      expect(d.notifications('SITE_ALERT').map((n) => [n.targetSite, n.attempt])).toEqual([
        [DB, 1],
        [DB, 2],
      ]);
    });

    it('the "register it" alert goes out even when the registration overtook the scan: at the failure nothing was registered', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), registration('11-23 10:05', DB, 'NOBODY_HOME'), failed('11-23 10:00', 1));
      expect(d.notifications('SITE_ALERT')).toEqual([expect.objectContaining({ targetSite: DB, attempt: 1, eventTime: u('11-23 10:00') })]);
      expect(d.case('FAILED_DELIVERY')).toMatchObject({ openedAt: u('11-23 10:00'), reasonCode: 'NOBODY_HOME', detectedBy: 'SCAN' });
    });
  });

  describe('events before the PICKUP', () => {
    it('are held in state.pending and used once the PICKUP arrives', () => {
      const d = new Driver();
      d.feed(scan('BRANCH_ARRIVAL', '11-23 13:00', RB), registration('11-23 13:30', RB, 'MISSENT'));
      expect(d.state!.pending.map((e) => e.kind)).toEqual(['scan', 'exception']);
      expect(d.cases).toEqual([]);
      d.feed(pickup('11-23 06:00'));
      expect(d.state!.pending).toEqual([]);
      expect(d.case('WRONG_ROUTING')).toMatchObject({ reasonCode: 'MISSENT', registeredAt: u('11-23 13:30') });
      expect(d.deadline('WRONG_ROUTING', `D3-${RB}`).status).toBe('MET');
    });
  });
});
