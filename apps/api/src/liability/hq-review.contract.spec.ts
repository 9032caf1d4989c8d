import { hqReviewBodySchema, hqReviewMessageSchema, toEngineInput } from './hq-review.contract.js';

const envelope = {
  schemaVersion: 1,
  eventId: 'api-1',
  waybillNo: 'WB00000001',
  caseId: 'WB00000001-FAILED_DELIVERY-1',
  liabilityId: 'WB00000001-FAILED_DELIVERY-1-D4-a1-RECORD',
  occurredAt: '2026-11-23T18:00:00+08:00',
};

describe('courier.hq-review.v1', () => {
  it('maps a review to the engine’s HqReviewInput, the event id being the review id and the time in UTC', () => {
    const message = hqReviewMessageSchema.parse({ ...envelope, kind: 'hqReview', outcome: 'CANCEL', reviewer: 'hq-1', reason: 'proof shown' });
    expect(toEngineInput(message)).toEqual({
      kind: 'hqReview',
      reviewId: 'api-1',
      caseId: envelope.caseId,
      liabilityId: envelope.liabilityId,
      outcome: 'CANCEL',
      reviewer: 'hq-1',
      reason: 'proof shown',
      at: '2026-11-23T10:00:00.000Z',
    });
  });

  it('maps a review request to HqReviewOpenedInput', () => {
    const message = hqReviewMessageSchema.parse({ ...envelope, kind: 'hqReviewOpened', requestedBy: 'hq-1', reason: 'disputed' });
    expect(toEngineInput(message)).toEqual({
      kind: 'hqReviewOpened',
      caseId: envelope.caseId,
      liabilityId: envelope.liabilityId,
      requestedBy: 'hq-1',
      reason: 'disputed',
      at: '2026-11-23T10:00:00.000Z',
    });
  });

  it('requires reassignTo exactly when the outcome is REASSIGN', () => {
    const review = { ...envelope, kind: 'hqReview', reviewer: 'hq-1', reason: 'r' };
    expect(hqReviewMessageSchema.safeParse({ ...review, outcome: 'REASSIGN' }).success).toBe(false);
    expect(hqReviewMessageSchema.safeParse({ ...review, outcome: 'UPHOLD', reassignTo: { party: 'OB', siteCode: 'SHB002' } }).success).toBe(false);
    expect(hqReviewMessageSchema.safeParse({ ...review, outcome: 'REASSIGN', reassignTo: { party: 'OB', siteCode: 'SHB002' } }).success).toBe(true);
    expect(hqReviewBodySchema.safeParse({ outcome: 'REASSIGN', reason: 'r' }).error!.issues[0]!.path).toEqual(['reassignTo']);
  });
});
