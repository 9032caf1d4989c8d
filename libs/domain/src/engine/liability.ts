/**
 * rules.md §4 liability (分责): a missed deadline writes a RECORD; a late event that proves the deadline was met
 * writes a RETRACTION pointing at it; HQ review writes an HQ_REVIEW (uphold / reassign / cancel) pointing at
 * it. Records are append-only: nothing is ever edited or deleted, and what counts is derived
 * (`effectiveLiabilities`).
 */
import type { EngineContext } from './context.js';
import { idToken } from './case-identity.js';
import type { MissJudgement } from './rules/rule.js';
import { minutesLate } from './time.js';
import type { Deadline, HqReviewInput, IsoTime, LiabilityRecord, Party, ProblemCase } from './types.js';

export function recordLiability(
  ctx: EngineContext,
  c: ProblemCase,
  deadline: Deadline,
  judgement: MissJudgement,
  recordedAt: IsoTime,
): LiabilityRecord {
  const record: LiabilityRecord = {
    id: `${deadline.id}-RECORD`,
    kind: 'RECORD',
    caseId: c.id,
    deadlineId: deadline.id,
    rule: judgement.rule,
    party: judgement.party,
    siteCode: judgement.siteCode,
    dueAt: deadline.dueAt,
    metAt: deadline.metAt ?? null,
    minutesLate: deadline.metAt ? minutesLate(deadline.dueAt, deadline.metAt) : null,
    evidence: judgement.evidence,
    favourableToDb: c.flags.favourableToDb,
    refersTo: null,
    recordedAt,
  };
  c.liabilities.push(record);
  ctx.emit({ type: 'LiabilityRecorded', record });
  return record;
}

/** The liability goes with a retracted deadline (rules.md §3 late events). */
export function retractLiability(ctx: EngineContext, c: ProblemCase, deadline: Deadline, recordedAt: IsoTime): void {
  const original = c.liabilities.find((record) => record.kind === 'RECORD' && record.deadlineId === deadline.id);
  if (!original || c.liabilities.some((record) => record.kind === 'RETRACTION' && record.refersTo === original.id)) {
    return;
  }
  const retraction: LiabilityRecord = {
    ...original,
    id: `${deadline.id}-RETRACTION`,
    kind: 'RETRACTION',
    metAt: deadline.metAt ?? null,
    minutesLate: 0,
    evidence: { ...original.evidence, retractedBecause: 'a late event shows the deadline was met', metAt: deadline.metAt ?? null },
    refersTo: original.id,
    recordedAt,
  };
  c.liabilities.push(retraction);
  ctx.emit({ type: 'LiabilityRecorded', record: retraction });
}

export type HqReviewResult = { ok: true; record: LiabilityRecord } | { ok: false; reason: string; duplicate?: boolean };

/** HQ review (总部复核) is final: a new record pointing at the reviewed one, with reviewer and reason. */
export function reviewLiability(ctx: EngineContext, c: ProblemCase, input: HqReviewInput, recordedAt: IsoTime): HqReviewResult {
  const id = `${input.liabilityId}-HQ-${idToken(input.reviewId)}`;
  if (c.liabilities.some((record) => record.id === id)) {
    return { ok: false, reason: `HQ review ${input.reviewId} already recorded`, duplicate: true };
  }
  const original = c.liabilities.find((record) => record.id === input.liabilityId);
  if (!original || original.kind !== 'RECORD') {
    return { ok: false, reason: `no liability record ${input.liabilityId} on case ${c.id}` };
  }
  if (input.outcome === 'REASSIGN' && !input.reassignTo) {
    return { ok: false, reason: 'REASSIGN needs reassignTo (party and site)' };
  }
  const party: Party = input.outcome === 'REASSIGN' ? input.reassignTo!.party : original.party;
  const siteCode = input.outcome === 'REASSIGN' ? input.reassignTo!.siteCode : original.siteCode;
  const review: LiabilityRecord = {
    ...original,
    id,
    kind: 'HQ_REVIEW',
    party,
    siteCode,
    evidence: { ...original.evidence, reviewedRecord: original.id },
    refersTo: original.id,
    reviewer: input.reviewer,
    reviewOutcome: input.outcome,
    reason: input.reason,
    recordedAt,
  };
  c.liabilities.push(review);
  ctx.emit({ type: 'LiabilityRecorded', record: review });
  return { ok: true, record: review };
}

export interface EffectiveLiability {
  record: LiabilityRecord;
  party: Party;
  siteCode: string | null;
  /** The HQ review that decided it, if any. */
  review: LiabilityRecord | null;
}

/**
 * The liabilities that stand: RECORDs not retracted and not cancelled by HQ, with the party of the latest HQ
 * review (reassignments move them).
 */
export function effectiveLiabilities(c: Pick<ProblemCase, 'liabilities'>): EffectiveLiability[] {
  const retracted = new Set<string>();
  const latestReview = new Map<string, LiabilityRecord>();
  for (const record of c.liabilities) {
    if (record.kind === 'RETRACTION' && record.refersTo) retracted.add(record.refersTo);
    if (record.kind === 'HQ_REVIEW' && record.refersTo) latestReview.set(record.refersTo, record);
  }
  const standing: EffectiveLiability[] = [];
  for (const record of c.liabilities) {
    if (record.kind !== 'RECORD' || retracted.has(record.id)) continue;
    const review = latestReview.get(record.id) ?? null;
    if (review?.reviewOutcome === 'CANCEL') continue;
    standing.push({ record, party: review?.party ?? record.party, siteCode: review ? review.siteCode : record.siteCode, review });
  }
  return standing;
}
