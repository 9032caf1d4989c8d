import { effectiveLiabilities } from './liability.js';
import { DB, Driver, failed, pickup, registration, u } from './testing/harness.js';
import type { HqReviewInput, LiabilityRecord } from './types.js';

function missedD4() {
  const d = new Driver();
  d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
  d.fireUntil('11-24 00:00');
  const c = d.case('FAILED_DELIVERY');
  return { d, c, record: c.liabilities[0] };
}

function review(d: Driver, caseId: string, liabilityId: string, outcome: HqReviewInput['outcome'], extra: Partial<HqReviewInput> = {}) {
  return d.input({ kind: 'hqReview', reviewId: `rv-${outcome}`, caseId, liabilityId, outcome, reviewer: '总部 刘', reason: '复核', at: '2026-11-25T10:00:00+08:00', ...extra });
}

describe('§4 liability', () => {
  it('a missed deadline writes a record: party and site, rule, case, due time, minutes late, evidence', () => {
    const { c, record } = missedD4();
    expect(record).toEqual<LiabilityRecord>({
      id: `${c.id}-D4-a1-RECORD`,
      kind: 'RECORD',
      caseId: c.id,
      deadlineId: `${c.id}-D4-a1`,
      rule: 'D4',
      party: 'DB',
      siteCode: DB,
      dueAt: u('11-23 23:59:59.999'),
      metAt: null,
      minutesLate: null,
      evidence: expect.objectContaining({ attempt: 1, registrationsInTime: [] }),
      favourableToDb: false,
      refersTo: null,
      recordedAt: u('11-24 00:00'),
    });
    expect(c.flags.overdue).toEqual([{ rule: 'D4', party: 'DB', siteCode: DB, deadlineId: `${c.id}-D4-a1` }]);
  });

  it('a registration arriving after its deadline fired, stamped in time, retracts it with a new record', () => {
    const { d, record } = missedD4();
    d.feed(registration('11-23 23:00', DB, 'NOBODY_HOME'));
    const c = d.case('FAILED_DELIVERY');
    expect(c.liabilities[0]).toEqual(record); // never edited
    expect(c.liabilities[1]).toMatchObject({ kind: 'RETRACTION', refersTo: record.id, metAt: u('11-23 23:00'), recordedAt: u('11-23 23:00') });
    expect(effectiveLiabilities(c)).toEqual([]);
  });

  it('a registration stamped after the deadline does not retract', () => {
    const { d } = missedD4();
    d.feed(registration('11-24 08:00', DB, 'NOBODY_HOME'));
    expect(effectiveLiabilities(d.case('FAILED_DELIVERY')).map((l) => l.record.rule)).toEqual(['D4']);
  });

  describe('HQ review (final, a new record pointing at the old one)', () => {
    it('UPHOLD keeps it standing', () => {
      const { d, c, record } = missedD4();
      review(d, c.id, record.id, 'UPHOLD');
      const reviewed = d.case('FAILED_DELIVERY');
      expect(reviewed.liabilities.at(-1)).toMatchObject({ kind: 'HQ_REVIEW', refersTo: record.id, reviewer: '总部 刘', reviewOutcome: 'UPHOLD', reason: '复核' });
      expect(effectiveLiabilities(reviewed)).toHaveLength(1);
    });

    it('REASSIGN moves it to another party and site', () => {
      const { d, c, record } = missedD4();
      review(d, c.id, record.id, 'REASSIGN', { reassignTo: { party: 'HUB', siteCode: 'H01' } });
      const reviewed = d.case('FAILED_DELIVERY');
      expect(effectiveLiabilities(reviewed).map((l) => [l.party, l.siteCode])).toEqual([['HUB', 'H01']]);
      expect(reviewed.flags.overdue).toEqual([expect.objectContaining({ party: 'HUB', siteCode: 'H01' })]);
    });

    it('CANCEL removes it from what stands (and from the overdue flags), nothing is deleted', () => {
      const { d, c, record } = missedD4();
      review(d, c.id, record.id, 'CANCEL');
      const reviewed = d.case('FAILED_DELIVERY');
      expect(reviewed.liabilities.map((l) => l.kind)).toEqual(['RECORD', 'HQ_REVIEW']);
      expect(effectiveLiabilities(reviewed)).toEqual([]);
      expect(reviewed.flags.overdue).toEqual([]);
    });

    it('the latest review decides; a repeated review id is ignored; an unknown record is rejected', () => {
      const { d, c, record } = missedD4();
      review(d, c.id, record.id, 'CANCEL');
      review(d, c.id, record.id, 'UPHOLD', { at: '2026-11-26T10:00:00+08:00' });
      expect(effectiveLiabilities(d.case('FAILED_DELIVERY'))).toHaveLength(1);
      expect(review(d, c.id, record.id, 'UPHOLD')).toEqual([{ type: 'Ignored', reason: expect.stringContaining('already recorded') }]);
      expect(review(d, c.id, 'nope', 'UPHOLD', { reviewId: 'x' })).toEqual([{ type: 'Rejected', reason: expect.stringContaining('no liability record nope') }]);
      expect(review(d, c.id, record.id, 'REASSIGN', { reviewId: 'y' })).toEqual([{ type: 'Rejected', reason: expect.stringContaining('reassignTo') }]);
    });

    it('UNDER_HQ_REVIEW is set when a review opens and cleared by its decision', () => {
      const { d, c, record } = missedD4();
      d.input({ kind: 'hqReviewOpened', caseId: c.id, liabilityId: record.id, requestedBy: '网点 B0201', reason: '有通话记录', at: '2026-11-24T09:00:00+08:00' });
      expect(d.case('FAILED_DELIVERY').flags.underHqReview).toBe(true);
      expect(d.case('FAILED_DELIVERY').timeline.at(-1)?.note).toMatch(/HQ review opened/);
      review(d, c.id, record.id, 'UPHOLD');
      expect(d.case('FAILED_DELIVERY').flags.underHqReview).toBe(false);
    });

    it('reviews of an unknown case are rejected', () => {
      const { d, record } = missedD4();
      expect(review(d, 'ZT2026000001-LOSS-1', record.id, 'UPHOLD')).toEqual([{ type: 'Rejected', reason: 'HQ review: no case ZT2026000001-LOSS-1' }]);
    });
  });

  it('D10 favourable to DB: the case records it and no DB liability is created, OB liability still is', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00', { recipient: { name: '张伟', address: '上海', mobile: '' } }), failed('11-23 10:00', 1), registration('11-24 09:00', DB, 'NOBODY_HOME'));
    d.fireAll();
    const c = d.case('FAILED_DELIVERY');
    expect(c.flags.favourableToDb).toBe(true);
    expect(c.liabilities.map((l) => [l.rule, l.party, l.favourableToDb])).toEqual([['D5', 'OB', true]]);
  });
});
