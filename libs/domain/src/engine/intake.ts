/**
 * Registrations (courier.exception.v1), OB replies (courier.reply.v1) and case actions (courier.action.v1):
 * turned into facts on the case they belong to. A reply or action naming a (waybill, class) whose case does
 * not exist yet is parked until the case opens (its registration is on another topic and may come later).
 */
import { REASON_CLASS, type ActionEvent, type ExceptionEvent, type ReplyEvent } from '#contracts';
import { idToken, resolveCaseRef } from './case-identity.js';
import type { EngineContext, Source } from './context.js';
import { handlingNotes } from './intake-notes.js';
import { caseData, type ActionFact, type ParkedEvent, type RegistrationFact, type ReplyFact } from './model.js';
import { alertSite } from './notifications.js';
import { notifyOnRegistration } from './handling.js';
import { openOrJoinCase, refreshCase } from './state-machine.js';
import { utc } from './time.js';
import type { ProblemCase } from './types.js';

/** Replies and actions waiting for their case; more than this on one waybill is a producer bug (rejected). */
export const MAX_PARKED = 64;

export function registrationFact(ctx: EngineContext, event: ExceptionEvent): RegistrationFact {
  const at = utc(event.occurredAt);
  const phone = event.phoneRecord ?? null;
  const isPhone = event.channel === 'PHONE_FALLBACK';
  // D8: the phone fallback counts only with contact name, phone number and call time (the contract requires
  // them; the engine re-checks because staff systems may also call it directly).
  const proofComplete = !isPhone || Boolean(phone?.contactName && phone.phone && phone.calledAt);
  const ob = ctx.originBranch;
  return {
    eventId: event.eventId,
    at,
    notifiedAt: isPhone && proofComplete ? utc(phone!.calledAt) : at,
    site: event.siteCode,
    siteType: event.siteType,
    role: ctx.roleOf(event.siteCode, event.siteType),
    reasonCode: event.reasonCode,
    channel: event.channel,
    notifyBranch: event.notifyBranch ?? null,
    wrongTarget: Boolean(event.notifyBranch && ob && event.notifyBranch !== ob),
    proofComplete,
    operatorId: event.operatorId ?? null,
    phone: phone ? { contactName: phone.contactName ?? null, phone: phone.phone ?? null, calledAt: phone.calledAt ? utc(phone.calledAt) : null } : null,
    description: event.description?.trim() ? event.description : null,
    evidence: (event.evidence ?? []).map((e) => ({ kind: e.kind, uri: e.uri, sha256: e.sha256.toLowerCase() })),
    codChange: event.codChange
      ? {
          newAmountFen: event.codChange.newAmountFen ?? null,
          newMethod: event.codChange.newMethod ?? null,
          letter: event.codChange.letter
            ? {
                signedBy: event.codChange.letter.signedBy ?? null,
                stamped: event.codChange.letter.stamped === true,
                verifiedWithSenderBy: event.codChange.letter.verifiedWithSenderBy ?? null,
                evidenceSha256: event.codChange.letter.evidenceSha256?.toLowerCase() ?? null,
              }
            : null,
        }
      : null,
    paymentChange: event.paymentChange
      ? {
          newFreightPayer: event.paymentChange.newFreightPayer ?? null,
          newFreightAmountFen: event.paymentChange.newFreightAmountFen ?? null,
          actualWeightKg: event.paymentChange.actualWeightKg ?? null,
          authorisedBy: event.paymentChange.authorisedBy ?? null,
        }
      : null,
    complaint: event.complaint ?? null,
  };
}

/** Records a registration on the case of its class open at its event time (opening one if needed). */
export function attachRegistration(ctx: EngineContext, registration: RegistrationFact, actor: string): ProblemCase {
  const caseClass = REASON_CLASS[registration.reasonCode];
  const c = openOrJoinCase(
    ctx,
    caseClass,
    { eventId: registration.eventId, at: registration.at, source: 'REGISTRATION', how: 'REGISTRATION', site: registration.site, reasonCode: registration.reasonCode },
    actor,
  );
  const data = caseData(c);
  if (!data.registrations.some((r) => r.eventId === registration.eventId)) {
    data.registrations.push(registration);
    refreshCase(ctx, c);
    notifyOnRegistration(ctx, c, registration);
  }
  return c;
}

export function handleRegistration(ctx: EngineContext, event: ExceptionEvent, source: Source): void {
  attachRegistration(ctx, registrationFact(ctx, event), source.actor);
}

export type IntakeOutcome = { status: 'applied'; caseId: string } | { status: 'parked' } | { status: 'rejected'; reason: string };

const INSTRUCTION_CLASS: Partial<Record<ReplyEvent['instruction'], ProblemCase['caseClass']>> = {
  APPLY_COD_CHANGE: 'COD_CHANGE',
  APPLY_PAYMENT_CHANGE: 'PAYMENT_CHANGE',
};

/** The case a reply/action refers to, or why it cannot be applied (yet). No state is changed. */
function locate(ctx: EngineContext, event: ParkedEvent): { c: ProblemCase } | { parked: true } | { reason: string } {
  const at = utc(event.occurredAt);
  const c = resolveCaseRef(ctx.state, event.caseRef, at);
  if (c) return { c };
  if ('caseNo' in event.caseRef) return { reason: `no case ${event.caseRef.caseNo} on waybill ${event.waybillNo}` };
  return { parked: true };
}

function checkReply(ctx: EngineContext, c: ProblemCase, event: ReplyEvent): string | null {
  const ob = ctx.originBranch;
  if (event.siteType !== 'HQ' && event.siteCode !== ob) {
    return `reply from ${event.siteCode}: only the origin branch ${ob ?? '(unknown)'} or HQ may instruct on ${c.id}`;
  }
  const needs = INSTRUCTION_CLASS[event.instruction];
  if (needs && needs !== c.caseClass) return `${event.instruction} does not apply to a ${c.caseClass} case (${c.id})`;
  return null;
}

function checkAction(c: ProblemCase, event: ActionEvent): string | null {
  if (event.action !== 'RESOLVE' && c.caseClass !== 'COMPLAINT') return `${event.action} applies to complaints, not to ${c.id}`;
  return null;
}

/** Validates a reply/action against the state without changing it: what `decide` rejects before any work. */
export function precheck(ctx: EngineContext, event: ParkedEvent): string | null {
  const located = locate(ctx, event);
  if ('reason' in located) return located.reason;
  if ('parked' in located) return ctx.facts.awaitingCase.length >= MAX_PARKED ? `more than ${MAX_PARKED} replies/actions waiting for their case` : null;
  return event.kind === 'reply' ? checkReply(ctx, located.c, event) : checkAction(located.c, event);
}

export function handleReplyOrAction(ctx: EngineContext, event: ParkedEvent, source: Source): IntakeOutcome {
  const located = locate(ctx, event);
  if ('reason' in located) return { status: 'rejected', reason: located.reason };
  if ('parked' in located) {
    const facts = ctx.mutableFacts();
    if (!facts.awaitingCase.some((e) => e.eventId === event.eventId)) facts.awaitingCase.push(event);
    return { status: 'parked' };
  }
  const problem = event.kind === 'reply' ? checkReply(ctx, located.c, event) : checkAction(located.c, event);
  if (problem) return { status: 'rejected', reason: problem };
  const c = ctx.mutableCase(located.c.id);
  const data = caseData(c);
  if (event.kind === 'reply') {
    if (!data.replies.some((r) => r.eventId === event.eventId)) {
      const reply: ReplyFact = {
        eventId: event.eventId,
        at: source.at,
        site: event.siteCode,
        siteType: event.siteType,
        instruction: event.instruction,
        repliedBy: event.repliedBy,
        newAddress: event.newAddress ?? null,
      };
      data.replies.push(reply);
      const db = ctx.deliveringBranch;
      if (db) {
        alertSite(ctx, c, {
          kind: 'INSTRUCTION',
          site: db,
          role: 'DB',
          discriminator: `reply-${idToken(event.eventId)}`,
          scope: 'EVENT',
          eventTime: source.at,
          message: handlingNotes(event.instruction),
          vars: { instruction: event.instruction, repliedBy: event.repliedBy },
        });
      }
    }
  } else if (!data.actions.some((a) => a.eventId === event.eventId)) {
    const action: ActionFact = {
      eventId: event.eventId,
      at: source.at,
      site: event.siteCode,
      siteType: event.siteType,
      action: event.action,
      actor: event.actor,
      note: event.note?.trim() ? event.note : null,
    };
    data.actions.push(action);
  }
  return { status: 'applied', caseId: c.id };
}

/** Parked replies/actions whose case now exists are applied (in the order they arrived). */
export function releaseParked(ctx: EngineContext, sourceOf: (event: ParkedEvent) => Source): string[] {
  const rejections: string[] = [];
  const parked = ctx.facts.awaitingCase;
  if (parked.length === 0) return rejections;
  const ready = parked.filter((event) => !('parked' in locate(ctx, event)));
  if (ready.length === 0) return rejections;
  const facts = ctx.mutableFacts();
  facts.awaitingCase = parked.filter((event) => !ready.includes(event));
  for (const event of ready) {
    const outcome = handleReplyOrAction(ctx, event, sourceOf(event));
    if (outcome.status === 'rejected') rejections.push(outcome.reason);
  }
  return rejections;
}

/**
 * Replies and actions stamped after a case closed belong to the next case of the class once that case exists
 * (it may open later than the instruction arrived: its registration travels on another topic). Returns
 * whether anything moved.
 */
export function rehomeLateInstructions(ctx: EngineContext, closed: ProblemCase): boolean {
  let moved = false;
  const data = caseData(closed);
  const late = [...data.replies.map((r) => ({ kind: 'reply' as const, fact: r })), ...data.actions.map((a) => ({ kind: 'action' as const, fact: a }))].filter(
    (item) => closed.closedAt && item.fact.at > closed.closedAt,
  );
  for (const item of late) {
    const target = resolveCaseRef(ctx.state, { waybillNo: closed.waybillNo, class: closed.caseClass }, item.fact.at);
    if (!target || target.id === closed.id) continue;
    const from = ctx.mutableCase(closed.id);
    const to = ctx.mutableCase(target.id);
    if (item.kind === 'reply') {
      caseData(from).replies = caseData(from).replies.filter((r) => r.eventId !== item.fact.eventId);
      caseData(to).replies.push(item.fact as ReplyFact);
    } else {
      caseData(from).actions = caseData(from).actions.filter((a) => a.eventId !== item.fact.eventId);
      caseData(to).actions.push(item.fact as ActionFact);
    }
    moved = true;
  }
  return moved;
}
