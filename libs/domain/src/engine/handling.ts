/**
 * rules.md §5 handling per class: what the system asks for and records, who is notified on registration, the
 * gates of COD and payment changes (REQUESTED until every condition holds, then APPLIED), and the default
 * procedure when the OB does not reply (D5).
 */
import type { CaseClass } from '#contracts';
import { idToken } from './case-identity.js';
import type { EngineContext } from './context.js';
import { authorisationAt, codLetterAt, evidenceAt } from './evidence.js';
import { hubsUntil } from './facts.js';
import { caseData, type CaseData, type RegistrationFact } from './model.js';
import { alertSite, alertStaff, notifyComplainant, notifyCouriers } from './notifications.js';
import { validReplies } from './rules/replies.js';
import type { IsoTime, ProblemCase } from './types.js';

/** §5: what happens when the OB does not reply within 24 h. */
const DEFAULT_PROCEDURES: Partial<Record<CaseClass, string>> = {
  FAILED_DELIVERY: 'ONE_MORE_ATTEMPT_THEN_RETURN',
  WRONG_ROUTING: 'TRANSSHIP_TO_CORRECT_SITE',
  DAMAGE: 'DELIVER_REWRAPPED_ARBITRATION_IF_REFUSED',
  COD_CHANGE: 'KEEP_ORIGINAL_TERMS',
  PAYMENT_CHANGE: 'KEEP_ORIGINAL_TERMS',
};

export function defaultProcedureFor(caseClass: CaseClass): string | null {
  return DEFAULT_PROCEDURES[caseClass] ?? null;
}

const TRANSSHIP_REASONS: ReadonlySet<string> = new Set(['MISSENT', 'MISSORTED', 'WRONG_HEADER']);
/** Reasons the OB must take to the sender for a decision (§5 "OB → sender"). */
const SENDER_DECIDES: ReadonlySet<string> = new Set(['REFUSED', 'RECIPIENT_INFO_MISMATCH', 'OUT_OF_AREA']);
const FREIGHT_CHANGES: ReadonlySet<string> = new Set(['FREIGHT_COLLECT_TO_PREPAID', 'PREPAID_TO_FREIGHT_COLLECT', 'FREIGHT_AMOUNT_CHANGED']);

function reasonsOf(data: CaseData): Set<string> {
  return new Set([...data.detections.map((d) => d.reasonCode), ...data.registrations.map((r) => r.reasonCode)]);
}

/**
 * Notifications due when a registration is recorded (§5 "Notify" column, §6). The OB is always told (D9),
 * by the system, even when the registration named another branch. Targets here come from the PICKUP (held
 * events wait for it), the registration itself or the policy; those that depend on scans which may arrive
 * later (the LOSS search, the courier) are planned by `refreshHandling` from the facts instead.
 */
export function notifyOnRegistration(ctx: EngineContext, c: ProblemCase, registration: RegistrationFact): void {
  const data = caseData(c);
  const ob = ctx.originBranch;
  const db = ctx.deliveringBranch;
  const tag = `reg-${idToken(registration.eventId)}`;
  const at = registration.at;
  if (ob) {
    alertSite(ctx, c, {
      kind: 'OB_ALERT',
      site: ob,
      role: 'OB',
      discriminator: tag,
      scope: 'EVENT',
      eventTime: registration.notifiedAt,
      message: `${registration.site} registered ${registration.reasonCode}${SENDER_DECIDES.has(registration.reasonCode) ? ': ask the sender for a decision' : ''}`,
      vars: {
        registeringSite: registration.site,
        channel: registration.channel,
        wrongTarget: registration.wrongTarget,
        notifyBranch: registration.notifyBranch,
        forwardToSender: SENDER_DECIDES.has(registration.reasonCode) || c.caseClass === 'COD_CHANGE' || c.caseClass === 'PAYMENT_CHANGE',
      },
    });
  }
  const reason = registration.reasonCode;
  if (TRANSSHIP_REASONS.has(reason) && db) {
    alertSite(ctx, c, { kind: 'TRANSSHIP', site: db, role: 'DB', discriminator: 'transship', eventTime: at, message: `item missent (${reason}) is to be transshipped to you` });
  }
  if (c.caseClass === 'DAMAGE' || c.caseClass === 'LOSS') {
    // S1: issued now, stamped with the registration's event time.
    const issued = alertStaff(ctx, c, {
      kind: 'SUPERVISOR',
      site: registration.site,
      staff: 'supervisor',
      fallbackToSite: false,
      discriminator: 'S1',
      eventTime: at,
      message: `${reason} registered by ${registration.site}`,
    });
    if (issued && (!data.supervisorNotifiedAt || at < data.supervisorNotifiedAt)) data.supervisorNotifiedAt = at;
  }
  if (c.caseClass === 'COD_CHANGE' && db) {
    alertSite(ctx, c, { kind: 'COD_CHANGE', site: db, role: 'DB', discriminator: tag, scope: 'EVENT', eventTime: at, message: 'COD change requested: deliver on the original terms until APPLIED' });
  }
  if (reason === 'WEIGHT_MISMATCH' && db) {
    alertStaff(ctx, c, { kind: 'RECONCILIATION', site: db, staff: 'reconciliation', fallbackToSite: true, discriminator: tag, scope: 'EVENT', eventTime: at, message: 'weight mismatch to reconcile' });
  }
  if (reason === 'RETURN_RECEIPT_CHANGE' && db) {
    alertSite(ctx, c, { kind: 'RETURN_RECEIPT_CHANGE', site: db, role: 'DB', discriminator: tag, scope: 'EVENT', eventTime: at, message: 'return-receipt change registered' });
  }
  if (registration.complaint) {
    notifyComplainant(ctx, c, registration.complaint, at);
  }
}

/**
 * §5 LOSS: the DB and the hubs search. Decision: every hub the item was scanned at up to a LOSS registration's
 * event time is asked, once per case, stamped with the earliest such registration. Re-derived after every input,
 * so a hub scan that arrives after the registration (another topic) still gets its alert; "only the last hub"
 * could not be decided while scans with earlier event times may still arrive, and an alert cannot be withdrawn.
 */
function planSearch(ctx: EngineContext, c: ProblemCase): void {
  const db = ctx.deliveringBranch;
  const registrations = [...caseData(c).registrations].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const registration of registrations) {
    const search = { kind: 'SEARCH', discriminator: 'search', eventTime: registration.at, message: 'search for a lost item' };
    if (db) alertSite(ctx, c, { ...search, site: db, role: 'DB' });
    for (const hub of hubsUntil(ctx.facts.scans, registration.at)) alertSite(ctx, c, { ...search, site: hub, role: 'HUB' });
  }
}

interface Gate {
  name: string;
  at: IsoTime | null;
}

/** §5/§7 gates of a COD or payment change; null for other classes. */
function changeGates(ctx: EngineContext, c: ProblemCase): Gate[] | null {
  const data = caseData(c);
  const replies = validReplies(ctx, c);
  if (c.caseClass === 'COD_CHANGE') {
    const apply = replies.find((r) => r.instruction === 'APPLY_COD_CHANGE');
    return [
      { name: 'CONFIRMATION_LETTER', at: codLetterAt(c) },
      { name: 'OB_APPLY_COD_CHANGE', at: apply?.at ?? null },
    ];
  }
  if (c.caseClass === 'PAYMENT_CHANGE') {
    const reasons = reasonsOf(data);
    const apply = replies.find((r) => r.instruction === 'APPLY_PAYMENT_CHANGE');
    const gates: Gate[] = [{ name: 'OB_APPLY_PAYMENT_CHANGE', at: apply?.at ?? null }];
    if (reasons.has('WEIGHT_MISMATCH')) {
      gates.push({ name: 'PHOTO_OF_TRUE_WEIGHT', at: evidenceAt(c, 'PHOTO') });
    }
    if (reasons.has('RETURN_RECEIPT_CHANGE')) {
      gates.push({ name: 'CHANGE_CONFIRMATION_LETTER', at: evidenceAt(c, 'LETTER') });
      gates.push({ name: 'AUTHORISED_BY', at: authorisationAt(c) });
    }
    return gates;
  }
  return null;
}

/**
 * Re-derives the §5 bookkeeping of a case from its facts: the change status (REQUESTED → APPLIED once every gate
 * holds; APPLIED at the event time of the last gate), what is still missing, and guidance. Issues the
 * notifications APPLIED triggers (branch finance for the ledger, the courier for freight).
 */
export function refreshHandling(ctx: EngineContext, c: ProblemCase): void {
  const data = caseData(c);
  const gates = changeGates(ctx, c);
  if (gates) {
    const blockedBy = gates.filter((g) => g.at === null).map((g) => g.name);
    const appliedAt = blockedBy.length === 0 ? gates.map((g) => g.at!).sort().at(-1)! : null;
    data.change = { status: appliedAt ? 'APPLIED' : 'REQUESTED', appliedAt, blockedBy };
    // Every input: a courier whose OUT_FOR_DELIVERY arrives after the change was APPLIED is told too.
    if (appliedAt) notifyApplied(ctx, c, appliedAt);
  }
  if (c.caseClass === 'LOSS') planSearch(ctx, c);

  const reasons = reasonsOf(data);
  const missing: string[] = [];
  if (c.caseClass === 'FAILED_DELIVERY' && !data.registrations.some((r) => r.role === 'DB' && !r.wrongTarget && r.proofComplete)) {
    missing.push('DB_REGISTRATION');
  }
  if (reasons.has('REFUSED') && !data.registrations.some((r) => r.reasonCode === 'REFUSED' && r.description)) missing.push('RECIPIENT_REASON');
  if (c.caseClass === 'DAMAGE' && evidenceAt(c, 'PHOTO') === null) missing.push('PHOTO_EVIDENCE');
  if (c.caseClass === 'LOSS' && !data.registrations.some((r) => r.description)) missing.push('DECLARED_VALUE_PACKAGING_ITEM_NAME');
  if (reasons.has('OUT_OF_AREA') && validReplies(ctx, c).length === 0) missing.push('SENDER_CHOICE');
  if (reasons.has('WEIGHT_MISMATCH') && !data.registrations.some((r) => r.paymentChange?.actualWeightKg)) missing.push('COURIER_WEIGHT_CONFIRMATION');
  if (data.change) missing.push(...data.change.blockedBy);
  data.missing = missing;

  if (reasons.has('RECIPIENT_INFO_MISMATCH')) {
    data.guidance = ctx.state.pickup?.codFen
      ? 'COD: deliver where the recipient designates by phone'
      : 'no COD: the sender’s data prevails';
  }
}

function notifyApplied(ctx: EngineContext, c: ProblemCase, at: IsoTime): void {
  const db = ctx.deliveringBranch;
  const reasons = reasonsOf(caseData(c));
  if (c.caseClass === 'COD_CHANGE' && db) {
    alertStaff(ctx, c, { kind: 'FINANCE', site: db, staff: 'finance', fallbackToSite: true, discriminator: 'applied', eventTime: at, message: 'COD change APPLIED: enter it in the COD ledger' });
  }
  if (c.caseClass === 'PAYMENT_CHANGE' && [...reasons].some((r) => FREIGHT_CHANGES.has(r))) {
    if (db) {
      alertStaff(ctx, c, { kind: 'FINANCE', site: db, staff: 'finance', fallbackToSite: true, discriminator: 'applied', eventTime: at, message: 'freight change APPLIED: update the freight-collect ledger' });
    }
    notifyCouriers(ctx, c, 'applied', at, 'freight terms changed: collect accordingly');
  }
}
