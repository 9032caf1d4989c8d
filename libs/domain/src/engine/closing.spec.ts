import { action, DB, Driver, failed, HUB_A, HUB_B, pickup, RB, registration, reply, scan, u } from './testing/harness.js';

describe('§2.2 closing', () => {
  it('a BRANCH_ARRIVAL at the delivering branch closes a MISSENT case (TRANSSHIPPED)', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 13:00', RB), scan('BRANCH_ARRIVAL', '11-23 20:00', DB));
    expect(d.case('WRONG_ROUTING')).toMatchObject({ state: 'CLOSED', outcome: 'TRANSSHIPPED', closedAt: u('11-23 20:00') });
    expect(d.case('WRONG_ROUTING').timeline.slice(-2).map((e) => e.to)).toEqual(['RESOLVED', 'CLOSED']);
    expect(d.effectsOf('CaseClosed')).toEqual([{ type: 'CaseClosed', caseId: d.case('WRONG_ROUTING').id, outcome: 'TRANSSHIPPED' }]);
  });

  it('closes a HELD_AT_HUB case too, but not other WRONG_ROUTING reasons', () => {
    const held = new Driver();
    held.feed(pickup('11-23 06:00'), scan('HOLD', '11-23 13:00', HUB_A), scan('BRANCH_ARRIVAL', '11-23 20:00', DB));
    expect(held.case('WRONG_ROUTING').outcome).toBe('TRANSSHIPPED');
    const outOfArea = new Driver();
    outOfArea.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 10:00', DB), registration('11-23 11:00', DB, 'OUT_OF_AREA'), scan('BRANCH_ARRIVAL', '11-23 20:00', DB));
    expect(outOfArea.case('WRONG_ROUTING').state).not.toBe('CLOSED');
  });

  it('SIGNED closes as DELIVERED, RETURN_SIGNED as RETURNED', () => {
    const signed = new Driver();
    signed.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1), scan('SIGNED', '11-24 10:00', DB, { signer: '本人' }));
    expect(signed.case('FAILED_DELIVERY')).toMatchObject({ outcome: 'DELIVERED', closedAt: u('11-24 10:00') });
    const returned = new Driver();
    returned.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1), scan('RETURN_DISPATCHED', '11-24 09:30', DB), scan('RETURN_SIGNED', '11-25 10:00', 'B0101'));
    expect(returned.case('FAILED_DELIVERY').outcome).toBe('RETURNED');
  });

  it('after TRANSFERRED the case stays open until the other carrier reports SIGNED (TRANSFERRED)', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 10:00', DB), registration('11-23 11:00', DB, 'OUT_OF_AREA'));
    d.feed(reply('11-23 12:00', 'WRONG_ROUTING', 'TRANSFER_OTHER_CARRIER'), scan('TRANSFERRED', '11-23 15:00', DB, { carrier: 'SF', carrierWaybillNo: 'SF1' }));
    expect(d.case('WRONG_ROUTING').closedAt).toBeNull();
    d.feed(scan('SIGNED', '11-24 15:00', DB, { signer: '王', carrier: 'SF' }));
    expect(d.case('WRONG_ROUTING')).toMatchObject({ state: 'CLOSED', outcome: 'TRANSFERRED' });
  });

  it('an explicit RESOLVE with a reason closes it (RESOLVED)', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'LABEL_DETACHED'), action('11-23 12:00', 'WRONG_ROUTING', 'RESOLVE', { siteCode: 'HQ', siteType: 'HQ', note: '已重贴面单' }));
    expect(d.case('WRONG_ROUTING')).toMatchObject({ outcome: 'RESOLVED', closedAt: u('11-23 12:00') });
    expect(d.case('WRONG_ROUTING').timeline.find((e) => e.to === 'RESOLVED')).toMatchObject({ actor: '客服 小王', note: '已重贴面单' });
  });

  it('closing cancels the pending deadlines that were not yet due', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1), registration('11-23 11:00', DB, 'NOBODY_HOME'), scan('SIGNED', '11-23 16:00', DB, { signer: '本人' }));
    expect(d.deadline('FAILED_DELIVERY', 'D5')).toMatchObject({ status: 'CANCELLED', cancelledAt: u('11-23 16:00') });
    expect(d.timers.size).toBe(0);
  });

  it('a deadline already overdue by event time is not cancelled by a later closing: it is missed', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1), scan('SIGNED', '11-24 10:00', DB, { signer: '本人' }));
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1').status).toBe('PENDING');
    d.fireAll();
    expect(d.deadline('FAILED_DELIVERY', 'D4-a1').status).toBe('MISSED');
  });

  it('deliveries do not close complaints; a problem reported after delivery opens its own case', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'CHASE', { complaint: { customerName: '张', customerContact: 'a@b.cn', channel: 'EMAIL' } }));
    d.feed(scan('SIGNED', '11-23 16:00', DB, { signer: '本人' }), registration('11-23 19:00', DB, 'SIGNED_NOT_RECEIVED'));
    expect(d.case('COMPLAINT').closedAt).toBeNull();
    expect(d.case('LOSS')).toMatchObject({ closedAt: null, openedAt: u('11-23 19:00') });
  });

  it('a registration stamped after the closing, processed before the closing scan, moves to a new case', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('BRANCH_ARRIVAL', '11-23 13:00', RB), registration('11-23 22:00', DB, 'OUT_OF_AREA'));
    expect(d.cases).toHaveLength(1);
    d.feed(scan('HUB_ARRIVAL', '11-23 16:00', HUB_B), scan('BRANCH_ARRIVAL', '11-23 20:00', DB));
    expect(d.case('WRONG_ROUTING', 1)).toMatchObject({ reasonCode: 'MISSENT', outcome: 'TRANSSHIPPED' });
    expect(d.data('WRONG_ROUTING', 1).registrations).toEqual([]);
    expect(d.case('WRONG_ROUTING', 2)).toMatchObject({ reasonCode: 'OUT_OF_AREA', closedAt: null, registeredAt: u('11-23 22:00') });
    expect(d.case('WRONG_ROUTING', 1).timeline.at(-1)?.note).toMatch(/moved to a new case/);
  });

  it('a late report of the same problem by the same site joins the closed case instead of opening a new one', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), scan('HUB_ARRIVAL', '11-23 17:00', 'H09'), scan('BRANCH_ARRIVAL', '11-24 09:15', DB));
    expect(d.deadline('WRONG_ROUTING', 'D2-H09')).toMatchObject({ status: 'CANCELLED', cancelledAt: u('11-24 09:15') }); // closing cancels what was not yet due
    d.feed(registration('11-24 12:00', 'H09', 'MISSENT'));
    expect(d.cases).toHaveLength(1);
    expect(d.case('WRONG_ROUTING').registeredAt).toBe(u('11-24 12:00'));
    expect(d.case('WRONG_ROUTING').liabilities).toEqual([]);
  });
});
