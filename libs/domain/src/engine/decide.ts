/**
 * `decide(state, input, policy) → { state, effects }`: the pure rule engine. No I/O, no wall clock (timers
 * carry `firedAt`), deterministic. The caller persists `state` and carries out `effects`.
 *
 * Per input: duplicates are ignored (state unchanged); events before the waybill's PICKUP are held and
 * replayed after it (§2.1); otherwise the event becomes facts (scan log, registrations, replies, actions) and
 * every case it may affect is reconciled against the rules: closing (§2.2), §5 gates, the deadlines of §3,
 * liability flags (§4), the escalation ladder and the derived state (§7).
 */
import type { InputEvent, ScanEvent } from '#contracts';
import type { Policy } from '../policy/index.js';
import { waybillOfDeadlineId } from './case-identity.js';
import { handleScan, fireDwellTimer } from './classification.js';
import { closeCase, findCloser } from './closing.js';
import { EngineContext, SEEN_EVENT_IDS_KEPT, type Source } from './context.js';
import { fireDeadline, reconcileRule } from './deadlines.js';
import { hasScan } from './facts.js';
import { refreshHandling } from './handling.js';
import {
  attachRegistration,
  handleRegistration,
  handleReplyOrAction,
  precheck,
  rehomeLateInstructions,
  releaseParked,
} from './intake.js';
import { caseData, emptyFacts, factsOf, type ParkedEvent, type RegistrationFact } from './model.js';
import { DEADLINE_RULES, deadlineRuleFor } from './rules/index.js';
import { applyDerivedState, escalateOverdue, escalationLadder, note, refreshCase, refreshFlags } from './state-machine.js';
import { utc } from './time.js';
import type {
  Decision,
  Effect,
  EngineInput,
  EvidenceAttachedInput,
  HqReviewInput,
  HqReviewOpenedInput,
  ProblemCase,
  TimerInput,
  WaybillState,
} from './types.js';
import { evidenceAlreadyAttached, recordAttachedEvidence } from './evidence.js';
import { reviewLiability } from './liability.js';

/** Events held for a waybill whose PICKUP has not arrived; beyond this they are rejected (a producer bug). */
export const MAX_PENDING = 256;

export function emptyWaybillState(waybillNo: string): WaybillState {
  return {
    waybillNo,
    version: 0,
    pickup: null,
    deliveringBranch: null,
    pending: [],
    seenEventIds: [],
    facts: emptyFacts() as unknown as Record<string, unknown>,
    cases: [],
    timers: [],
  };
}

export function decide(state: WaybillState | null, input: EngineInput, policy: Policy): Decision {
  switch (input.kind) {
    case 'event':
      return decideEvent(state, input.event, policy);
    case 'timer':
      return decideTimer(state, input, policy);
    case 'hqReview':
      return decideHqReview(state, input, policy);
    case 'hqReviewOpened':
      return decideHqReviewOpened(state, input, policy);
    case 'evidenceAttached':
      return decideEvidenceAttached(state, input, policy);
  }
}

function unchanged(state: WaybillState, effect: Effect): Decision {
  return { state, effects: [effect] };
}

function sourceOf(event: InputEvent): Source {
  let actor: string = event.operatorId ?? event.siteCode;
  if (event.kind === 'reply') actor = event.repliedBy;
  if (event.kind === 'action') actor = event.actor;
  return { at: utc(event.occurredAt), eventId: event.eventId, actor };
}

// ------------------------------------------------------------------------------------------------ events

function isDuplicate(state: WaybillState, eventId: string): boolean {
  if (state.seenEventIds.includes(eventId)) return true;
  if (state.seenEventIds.length < SEEN_EVENT_IDS_KEPT) return false;
  // The bounded id list has rolled over: look in the facts themselves.
  if (hasScan(factsOf(state).scans, eventId) || state.pending.some((e) => e.eventId === eventId)) return true;
  if (factsOf(state).awaitingCase.some((e) => e.eventId === eventId)) return true;
  return state.cases.some((c) => {
    const data = caseData(c);
    return (
      data.registrations.some((r) => r.eventId === eventId) ||
      data.replies.some((r) => r.eventId === eventId) ||
      data.actions.some((a) => a.eventId === eventId)
    );
  });
}

function isPickup(event: InputEvent): event is Extract<ScanEvent, { scanType: 'PICKUP' }> {
  return event.kind === 'scan' && event.scanType === 'PICKUP';
}

function decideEvent(state: WaybillState | null, event: InputEvent, policy: Policy): Decision {
  const base = state ?? emptyWaybillState(event.waybillNo);
  if (base.waybillNo !== event.waybillNo) {
    return unchanged(base, { type: 'Rejected', reason: `event for waybill ${event.waybillNo} given the state of ${base.waybillNo}` });
  }
  if (isDuplicate(base, event.eventId)) {
    return unchanged(base, { type: 'Ignored', reason: `duplicate eventId ${event.eventId}` });
  }
  const ctx = new EngineContext(base, policy);

  if (!base.pickup && !isPickup(event)) {
    if (base.pending.length >= MAX_PENDING) {
      return unchanged(base, { type: 'Rejected', reason: `more than ${MAX_PENDING} events before the PICKUP of ${base.waybillNo}` });
    }
    ctx.markSeen(event.eventId);
    ctx.state.pending = [...base.pending, event];
    return ctx.finish();
  }
  if (event.kind === 'reply' || event.kind === 'action') {
    const problem = precheck(ctx, event);
    if (problem) return unchanged(base, { type: 'Rejected', reason: problem });
  }

  ctx.markSeen(event.eventId);
  applyEvent(ctx, event);
  if (isPickup(event) && base.pending.length > 0) {
    const held = ctx.state.pending;
    ctx.state.pending = [];
    for (const pending of held) applyEvent(ctx, pending);
  }
  return ctx.finish();
}

function applyEvent(ctx: EngineContext, event: InputEvent): void {
  const source = sourceOf(event);
  switch (event.kind) {
    case 'scan':
      handleScan(ctx, event, source);
      break;
    case 'exception':
      handleRegistration(ctx, event, source);
      break;
    case 'reply':
    case 'action': {
      const outcome = handleReplyOrAction(ctx, event, source);
      if (outcome.status === 'rejected') ctx.emit({ type: 'Rejected', reason: outcome.reason });
      break;
    }
  }
  // A scan may close, meet or move anything still open at its time; other events touch only their case.
  const at = source.at;
  settle(ctx, source, event.kind === 'scan' ? (c) => c.closedAt === null || c.closedAt >= at : () => false);
}

// ------------------------------------------------------------------------------------------- reconciling

function parkedSource(event: ParkedEvent): Source {
  return sourceOf(event);
}

/** Brings every affected case in line with its facts; repeats while closings move facts between cases. */
function settle(ctx: EngineContext, source: Source, alsoReconcile: (c: ProblemCase) => boolean): void {
  const MAX_ROUNDS = 8; // each round can only move facts to a later case of the class: a small bound suffices
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const reason of releaseParked(ctx, parkedSource)) ctx.emit({ type: 'Rejected', reason });
    const rehome: RegistrationFact[] = [];
    const closed: string[] = [];
    for (const c of [...ctx.state.cases]) {
      if (!ctx.isOwned(c.id) && !alsoReconcile(c)) continue;
      const moved = reconcileCase(ctx, c.id, source);
      if (moved) {
        closed.push(c.id);
        rehome.push(...moved);
      }
    }
    for (const registration of rehome) attachRegistration(ctx, registration, 'system');
    let moved = rehome.length > 0;
    for (const c of ctx.state.cases) {
      const hasLaterCase = ctx.state.cases.some((other) => other.caseClass === c.caseClass && other.openedAt > c.openedAt);
      if (c.closedAt && hasLaterCase && rehomeLateInstructions(ctx, c)) moved = true;
    }
    if (!moved && closed.length === 0) return;
  }
}

/** Returns the registrations a closing moved out (null when the case did not close now). */
function reconcileCase(ctx: EngineContext, caseId: string, source: Source): RegistrationFact[] | null {
  const c = ctx.mutableCase(caseId);
  refreshCase(ctx, c);
  let moved: RegistrationFact[] | null = null;
  if (!c.closedAt) {
    const closer = findCloser(ctx, c);
    if (closer) {
      moved = closeCase(ctx, c, closer);
      if (moved.length > 0) {
        note(c, source, `${moved.length} registration(s) stamped after the closing moved to a new case`);
        refreshCase(ctx, c);
      }
    }
  }
  refreshHandling(ctx, c);
  for (const rule of DEADLINE_RULES) reconcileRule(ctx, c, rule, source);
  refreshFlags(c);
  reconcileRule(ctx, c, escalationLadder, source);
  applyDerivedState(ctx, c, source);
  return moved;
}

// ------------------------------------------------------------------------------------------------ timers

function decideTimer(state: WaybillState | null, input: TimerInput, policy: Policy): Decision {
  if (!state) {
    return unchanged(emptyWaybillState(waybillOfDeadlineId(input.deadlineId)), { type: 'Ignored', reason: `timer ${input.deadlineId}: no such waybill state` });
  }
  const owner = input.caseId ? state.cases.find((c) => c.id === input.caseId) : null;
  const deadline = input.caseId ? owner?.deadlines.find((d) => d.id === input.deadlineId) : state.timers.find((t) => t.id === input.deadlineId);
  if (!deadline) return unchanged(state, { type: 'Ignored', reason: `timer ${input.deadlineId}: unknown deadline` });
  if (deadline.status !== 'PENDING') return unchanged(state, { type: 'Ignored', reason: `stale timer ${input.deadlineId}: deadline is ${deadline.status}` });
  if (deadline.dueAt !== input.dueAt) {
    return unchanged(state, { type: 'Ignored', reason: `stale timer ${input.deadlineId}: due ${input.dueAt}, now due ${deadline.dueAt}` });
  }
  if (input.firedAt < deadline.dueAt) {
    return unchanged(state, { type: 'Ignored', reason: `timer ${input.deadlineId} fired at ${input.firedAt}, before its due time ${deadline.dueAt}` });
  }

  const ctx = new EngineContext(state, policy);
  const source: Source = { at: deadline.dueAt, eventId: null, actor: 'system' };
  if (!input.caseId) {
    fireDwellTimer(ctx, deadline.id, input.firedAt, source);
    settle(ctx, source, () => false);
    return ctx.finish();
  }
  const rule = deadline.rule.startsWith('ESC') ? escalationLadder : deadlineRuleFor(deadline.rule);
  if (!rule) return unchanged(state, { type: 'Ignored', reason: `timer ${input.deadlineId}: no rule ${deadline.rule}` });
  const c = ctx.mutableCase(input.caseId);
  refreshCase(ctx, c);
  const live = c.deadlines.find((d) => d.id === deadline.id)!;
  const judged = fireDeadline(ctx, c, rule, live, input.firedAt, source);
  if (judged) {
    refreshFlags(c);
    escalateOverdue(ctx, c, live, judged);
  }
  settle(ctx, source, () => false);
  return ctx.finish();
}

// --------------------------------------------------------------------------------------------- HQ review

function decideHqReview(state: WaybillState | null, input: HqReviewInput, policy: Policy): Decision {
  const target = state?.cases.find((c) => c.id === input.caseId);
  if (!state || !target) {
    return unchanged(state ?? emptyWaybillState(waybillOfDeadlineId(input.caseId)), { type: 'Rejected', reason: `HQ review: no case ${input.caseId}` });
  }
  const ctx = new EngineContext(state, policy);
  const c = ctx.mutableCase(target.id);
  const at = utc(input.at);
  const result = reviewLiability(ctx, c, input, at);
  if (!result.ok) {
    return unchanged(state, result.duplicate ? { type: 'Ignored', reason: result.reason } : { type: 'Rejected', reason: result.reason });
  }
  const source: Source = { at, eventId: null, actor: input.reviewer };
  note(c, source, `HQ review ${input.outcome} of ${input.liabilityId}: ${input.reason}`);
  settle(ctx, source, () => false);
  return ctx.finish();
}

function decideHqReviewOpened(state: WaybillState | null, input: HqReviewOpenedInput, policy: Policy): Decision {
  const target = state?.cases.find((c) => c.id === input.caseId);
  if (!state || !target) {
    return unchanged(state ?? emptyWaybillState(waybillOfDeadlineId(input.caseId)), { type: 'Rejected', reason: `HQ review: no case ${input.caseId}` });
  }
  if (!target.liabilities.some((r) => r.id === input.liabilityId && r.kind === 'RECORD')) {
    return unchanged(state, { type: 'Rejected', reason: `HQ review: no liability record ${input.liabilityId} on ${input.caseId}` });
  }
  if (caseData(target).reviewsOpen.includes(input.liabilityId)) {
    return unchanged(state, { type: 'Ignored', reason: `HQ review of ${input.liabilityId} already open` });
  }
  const ctx = new EngineContext(state, policy);
  const c = ctx.mutableCase(target.id);
  caseData(c).reviewsOpen.push(input.liabilityId);
  const at = utc(input.at);
  note(c, { at, eventId: null, actor: input.requestedBy }, `HQ review opened for ${input.liabilityId}: ${input.reason}`);
  refreshFlags(c);
  return ctx.finish();
}

// ------------------------------------------------------------------------------------------------ evidence

/**
 * Evidence stored for a case (staff API): recorded as a fact with a timeline note, then the case is reconciled, so a
 * §5 gate it satisfies can move the change to APPLIED (and the state with it) at the evidence's event time. Evidence
 * stamped after the case closed stays on record for a later HQ review but opens no gate (`evidence.ts`).
 */
function decideEvidenceAttached(state: WaybillState | null, input: EvidenceAttachedInput, policy: Policy): Decision {
  const target = state?.cases.find((c) => c.id === input.caseId);
  if (!state || !target) {
    return unchanged(state ?? emptyWaybillState(waybillOfDeadlineId(input.caseId)), { type: 'Rejected', reason: `evidence ${input.evidenceId}: no case ${input.caseId}` });
  }
  if (state.seenEventIds.includes(input.eventId) || evidenceAlreadyAttached(state.cases, input)) {
    return unchanged(state, { type: 'Ignored', reason: `evidence ${input.evidenceId} already recorded` });
  }
  const ctx = new EngineContext(state, policy);
  ctx.markSeen(input.eventId);
  const c = ctx.mutableCase(target.id);
  const source: Source = { at: utc(input.at), eventId: input.eventId, actor: input.attachedBy };
  note(c, source, recordAttachedEvidence(c, input));
  settle(ctx, source, () => false);
  return ctx.finish();
}
