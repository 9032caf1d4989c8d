import { DB, Driver, failed, pickup, registration, reply, scan, u } from '../testing/harness.js';

function instructed(registeredAt: string, repliedAt: string, instruction: string, pickupExtra: Record<string, unknown> = {}) {
  const d = new Driver();
  d.feed(pickup('11-23 06:00', pickupExtra), failed('11-23 06:30', 1), registration(registeredAt, DB, 'NOBODY_HOME'), reply(repliedAt, 'FAILED_DELIVERY', instruction));
  return d;
}

function only(d: Driver, rule: 'D6' | 'D7') {
  const found = d.case('FAILED_DELIVERY').deadlines.filter((x) => x.rule === rule);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('D6: delivered (SIGNED) within 24 h of a deliver / redeliver instruction', () => {
  it.each(['DELIVER', 'REDELIVER_NEW_ADDRESS'])('%s: met by a SIGNED before the due time', (instruction) => {
    const d = instructed('11-23 07:00', '11-23 15:00', instruction);
    expect(only(d, 'D6')).toMatchObject({ dueAt: u('11-24 15:00'), party: 'DB', siteCode: DB });
    d.feed(scan('SIGNED', '11-24 15:00', DB, { signer: '本人' }));
    expect(only(d, 'D6').status).toBe('MET');
  });

  it('missed: the DB is liable for the delay', () => {
    const d = instructed('11-23 07:00', '11-23 15:00', 'DELIVER');
    d.fireUntil('11-24 15:00');
    expect(d.case('FAILED_DELIVERY').liabilities).toContainEqual(expect.objectContaining({ rule: 'D6', party: 'DB', siteCode: DB }));
  });

  it('D10: not on a case favourable to the DB', () => {
    const d = instructed('11-23 07:00', '11-23 15:00', 'DELIVER', { recipient: { name: '张伟', address: '上海' } });
    d.fireUntil('11-24 15:00');
    expect(only(d, 'D6').status).toBe('MISSED');
    expect(d.case('FAILED_DELIVERY').liabilities.filter((l) => l.rule === 'D6')).toEqual([]);
  });
});

describe('D7: return dispatched after a RETURN instruction', () => {
  it.each([
    ['08:59', '11-23 09:00'],
    ['09:00', '11-23 15:00'], // exactly at a departure: that truck has gone, the next one counts
    ['14:59', '11-23 15:00'],
    ['15:00', '11-23 20:00'],
    ['19:59', '11-23 20:00'],
    ['20:00', '11-24 09:00'],
    ['23:30', '11-24 09:00'],
  ])('a reply at %s on the registration day is due at the first departure after it (%s)', (repliedAt, due) => {
    const d = instructed('11-23 07:00', `11-23 ${repliedAt}`, 'RETURN');
    expect(only(d, 'D7')).toMatchObject({ dueAt: u(due), detail: expect.objectContaining({ basis: 'FIRST_DEPARTURE' }) });
  });

  it('a reply on a later day than the registration is due 24 h after the reply', () => {
    const d = instructed('11-23 07:00', '11-24 10:00', 'RETURN');
    expect(only(d, 'D7')).toMatchObject({ dueAt: u('11-25 10:00'), detail: expect.objectContaining({ basis: 'LATER_DAY' }) });
  });

  it('is met by RETURN_DISPATCHED and missed without it (DB liable)', () => {
    const met = instructed('11-23 07:00', '11-23 10:00', 'RETURN');
    met.feed(scan('RETURN_DISPATCHED', '11-23 14:50', DB));
    expect(only(met, 'D7').status).toBe('MET');
    const missed = instructed('11-23 07:00', '11-23 10:00', 'RETURN');
    missed.fireUntil('11-23 15:00');
    expect(missed.case('FAILED_DELIVERY').liabilities).toContainEqual(expect.objectContaining({ rule: 'D7', party: 'DB' }));
  });

  it('a later instruction supersedes: the earlier deadline is cancelled at the new reply', () => {
    const d = instructed('11-23 07:00', '11-23 10:00', 'DELIVER');
    d.feed(reply('11-23 12:00', 'FAILED_DELIVERY', 'RETURN'));
    expect(only(d, 'D6')).toMatchObject({ status: 'CANCELLED', cancelledAt: u('11-23 12:00') });
    expect(only(d, 'D7')).toMatchObject({ status: 'PENDING', dueAt: u('11-23 15:00') });
  });

  it('instructions without a deadline (self-pickup, transfer, cancel) arm nothing', () => {
    const d = instructed('11-23 07:00', '11-23 10:00', 'SELF_PICKUP');
    expect(d.case('FAILED_DELIVERY').deadlines.map((x) => x.rule).sort()).toEqual(['D4', 'D5']);
  });
});
