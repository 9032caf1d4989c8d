/**
 * rules.md §6: who is told what, through which channel, with a deterministic identity (case, kind, target,
 * attempt) so that a person gets each notification at most once however often an event is redelivered.
 * The engine only *intends* notifications; the notifier service sends them (and masks personal data in logs).
 */
import { quietHoursRelease } from '../time/index.js';
import { renderSmsTemplate, siteOf, smsTemplateFor } from '../policy/index.js';
import { idToken, notificationIdFor } from './case-identity.js';
import type { EngineContext } from './context.js';
import { courierAt, outForDeliveryUntil } from './facts.js';
import { caseData, type AttemptFact } from './model.js';
import { iso } from './time.js';
import type { IsoTime, NotificationIntent, ProblemCase } from './types.js';

export type StaffRole = 'supervisor' | 'finance' | 'reconciliation' | 'cs' | 'manager';

type IntentFields = Omit<NotificationIntent, 'id' | 'caseId' | 'notBefore' | 'alreadySent'> &
  Partial<Pick<NotificationIntent, 'notBefore' | 'alreadySent'>>;

/**
 * Whose notification it is, which decides its identity:
 *  - CASE: about the case as a whole (S1, SEARCH, TRANSSHIP, APPLIED, overdue …): `${caseId}-kind-target-discriminator`;
 *  - EVENT: about one registration, reply or scan, named by the discriminator: `${waybillNo}-kind-target-discriminator`.
 *    The case an event belongs to can still change (a closing with an earlier event time may arrive after it and
 *    move it to the next case), a notification cannot be taken back, and the event names the case anyway.
 */
export type NotificationScope = 'CASE' | 'EVENT';

/** Whether any case of the waybill already issued this id (an EVENT notification may have been issued on another case). */
function alreadyIssued(ctx: EngineContext, id: string): boolean {
  return ctx.state.cases.some((other) => caseData(other).notified.includes(id));
}

/** Issues the notification unless the waybill already issued the same id. Returns whether it is (now) issued. */
function issue(ctx: EngineContext, c: ProblemCase, discriminator: string | number, fields: IntentFields, scope: NotificationScope = 'CASE'): boolean {
  const id = notificationIdFor(scope === 'EVENT' ? c.waybillNo : c.id, fields.kind, fields.targetSite ?? fields.targetRole, discriminator);
  if (alreadyIssued(ctx, id)) return true;
  caseData(c).notified.push(id);
  ctx.emit({
    type: 'NotificationIntended',
    notification: { id, caseId: c.id, notBefore: null, alreadySent: false, ...fields },
  });
  return true;
}

function summary(c: ProblemCase, message: string): string {
  return `[${c.caseClass}/${c.reasonCode}] ${c.waybillNo}: ${message}`;
}

export interface SiteAlert {
  kind: string;
  site: string;
  role: string;
  discriminator: string | number;
  eventTime: IsoTime;
  message: string;
  vars?: NotificationIntent['vars'];
  /** EVENT when the discriminator names the one event the alert is about (default CASE). */
  scope?: NotificationScope;
}

/** An alert to a site's system: its webhook when it has one, else the branch alert inbox. */
export function alertSite(ctx: EngineContext, c: ProblemCase, alert: SiteAlert): boolean {
  const webhook = siteOf(ctx.policy, alert.site)?.webhookUrl ?? null;
  return issue(ctx, c, alert.discriminator, {
    kind: alert.kind,
    channel: webhook ? 'WEBHOOK' : 'BRANCH_ALERT',
    targetRole: alert.role,
    targetSite: alert.site,
    recipient: webhook,
    templateKey: alert.kind,
    body: summary(c, alert.message),
    vars: { waybillNo: c.waybillNo, caseId: c.id, caseClass: c.caseClass, reasonCode: c.reasonCode, ...alert.vars },
    eventTime: alert.eventTime,
    attempt: typeof alert.discriminator === 'number' ? alert.discriminator : null,
  }, alert.scope);
}

export interface StaffAlert extends Omit<SiteAlert, 'role'> {
  staff: StaffRole;
  /** When the site has no contact for that role: alert the site's inbox for it instead (false: not issued). */
  fallbackToSite: boolean;
}

/**
 * A notification to a staff role of a site (policy `sites.<code>.staff`): e-mail for an address, SMS otherwise.
 * Returns false when it cannot be issued (no contact and no fallback), which is what S1 and D11 check.
 */
export function alertStaff(ctx: EngineContext, c: ProblemCase, alert: StaffAlert): boolean {
  const contact = siteOf(ctx.policy, alert.site)?.staff?.[alert.staff] ?? null;
  const role = alert.staff.toUpperCase();
  if (!contact) {
    return alert.fallbackToSite ? alertSite(ctx, c, { ...alert, role }) : false;
  }
  return issue(ctx, c, alert.discriminator, {
    kind: alert.kind,
    channel: contact.includes('@') ? 'EMAIL' : 'SMS',
    targetRole: role,
    targetSite: alert.site,
    recipient: contact,
    templateKey: alert.kind,
    body: summary(c, alert.message),
    vars: { waybillNo: c.waybillNo, caseId: c.id, caseClass: c.caseClass, reasonCode: c.reasonCode, ...alert.vars },
    eventTime: alert.eventTime,
    attempt: typeof alert.discriminator === 'number' ? alert.discriminator : null,
  }, alert.scope);
}

export function alertHq(ctx: EngineContext, c: ProblemCase, alert: Omit<SiteAlert, 'site' | 'role'>): boolean {
  return alertSite(ctx, c, { ...alert, site: 'HQ', role: 'HQ' });
}

// --------------------------------------------------------------------------------- customers and senders

/** A mainland mobile number (11 digits starting 13–19), after dropping separators and a +86 / 0086 prefix. */
export function normaliseMobile(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const digits = raw.replace(/[\s()-]/g, '').replace(/^(?:\+86|0086|86)(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

const COMPOUND_SURNAMES = [
  '欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙',
  '宇文', '司徒', '夏侯', '轩辕', '令狐', '钟离', '端木', '南宫', '西门', '独孤',
];

/**
 * The surname only (§6: least data needed, never the full name). Chinese names put it first, one character
 * or a known compound one; a name in Latin script is taken as "given family" and yields its last word.
 */
export function surnameOf(name: string): string {
  const trimmed = name.trim();
  if (/[\u3400-\u9fff]/.test(trimmed)) {
    const compound = COMPOUND_SURNAMES.find((surname) => trimmed.startsWith(surname) && trimmed.length > surname.length);
    return compound ?? Array.from(trimmed)[0] ?? '';
  }
  const words = trimmed.split(/\s+/);
  return words[words.length - 1] ?? '';
}

export function honorificOf(gender: 'M' | 'F' | null): string {
  if (gender === 'M') return '先生';
  if (gender === 'F') return '女士';
  return '先生/女士';
}

/**
 * §6 customer SMS for a failed attempt (D10), one per attempt: the template of the brand and reason, with the
 * recipient's surname and honorific, the tracking number, the brand and the courier's phone (latest
 * OUT_FOR_DELIVERY, else the brand hotline). `smsSent` by the handheld: recorded as evidence, not sent.
 * Quiet hours (judged at the attempt's event time) hold it until they end. Returns the evidence it gives.
 */
export function customerSmsForAttempt(ctx: EngineContext, c: ProblemCase, attempt: AttemptFact): AttemptFact['smsEvidence'] {
  const pickup = ctx.state.pickup;
  const mobile = normaliseMobile(pickup?.recipient.mobile);
  if (!pickup || (!mobile && !attempt.smsSent)) {
    return 'NONE';
  }
  const { brand, template, courierHotline } = smsTemplateFor(ctx.policy, null, attempt.reasonCode);
  const courier = courierAt(ctx.facts.scans, attempt.at);
  const courierPhone = courier?.courierPhone ?? courierHotline ?? '';
  const vars = {
    surname: surnameOf(pickup.recipient.name),
    honorific: honorificOf(pickup.recipient.gender),
    waybillNo: c.waybillNo,
    brand,
    courierPhone,
  };
  const release = attempt.smsSent ? null : quietHoursRelease(attempt.at, ctx.policy.quietHours, ctx.zone);
  issue(ctx, c, attempt.n, {
    kind: 'CUSTOMER_SMS',
    channel: 'SMS',
    targetRole: 'RECIPIENT',
    targetSite: null,
    recipient: mobile ?? pickup.recipient.mobile,
    templateKey: `${brand}/${attempt.reasonCode}`,
    body: renderSmsTemplate(template, vars),
    vars: { ...vars, reasonCode: attempt.reasonCode, attempt: attempt.n },
    eventTime: attempt.at,
    notBefore: release ? iso(release) : null,
    attempt: attempt.n,
    alreadySent: attempt.smsSent,
  });
  return attempt.smsSent ? 'HANDHELD' : 'SYSTEM';
}

/**
 * D11: after the 2nd CANNOT_PAY failure the sender is told, stamped with that scan's event time. Needs a
 * valid sender mobile; without one it cannot be issued and D11 is missed (escalation to CS).
 */
export function notifySenderCannotPay(ctx: EngineContext, c: ProblemCase, attempt: AttemptFact): boolean {
  const pickup = ctx.state.pickup;
  const mobile = normaliseMobile(pickup?.sender.mobile);
  if (!pickup || !mobile) return false;
  const { brand } = smsTemplateFor(ctx.policy, null, attempt.reasonCode);
  return issue(ctx, c, attempt.n, {
    kind: 'SENDER',
    channel: 'SMS',
    targetRole: 'SENDER',
    targetSite: null,
    recipient: mobile,
    templateKey: 'SENDER_CANNOT_PAY',
    body: `您好，您寄出的${brand}快件${c.waybillNo}因收件人无法付款，已${attempt.cannotPayNo ?? 2}次派送未成功，请联系发件网点告知处理方式。`,
    vars: { waybillNo: c.waybillNo, brand, attempt: attempt.n, cannotPayAttempts: attempt.cannotPayNo ?? 2 },
    eventTime: attempt.at,
    attempt: attempt.n,
  });
}

/**
 * §6 the courier, for a change the courier must act on from `from` (event time) on: the courier of every
 * OUT_FOR_DELIVERY of the waybill up to the case's closing, each once, stamped with the later of `from` and the
 * scan. Decision: not only the courier of the latest one at `from`: which one that is cannot be known while scans
 * with earlier event times may still arrive, and the one who collects is the courier of the next run anyway.
 */
export function notifyCouriers(ctx: EngineContext, c: ProblemCase, discriminator: string, from: IsoTime, message: string): void {
  for (const run of outForDeliveryUntil(ctx.facts.scans, c.closedAt)) {
    issue(ctx, c, `${discriminator}-${idToken(run.courierId)}`, {
      kind: 'COURIER',
      channel: run.courierPhone ? 'SMS' : 'BRANCH_ALERT',
      targetRole: 'COURIER',
      targetSite: run.site,
      recipient: run.courierPhone ?? run.courierId,
      templateKey: 'COURIER',
      body: summary(c, message),
      vars: { waybillNo: c.waybillNo, caseId: c.id, courierId: run.courierId },
      eventTime: run.at > from ? run.at : from,
      attempt: null,
    });
  }
}

/** §5 COMPLAINT: the customer gets the ticket (the case; its number is filled in by the notifier). */
export function notifyComplainant(
  ctx: EngineContext,
  c: ProblemCase,
  complaint: { customerName: string; customerContact: string },
  eventTime: IsoTime,
): boolean {
  const contact = complaint.customerContact;
  const email = contact.includes('@');
  const mobile = normaliseMobile(contact);
  if (!email && !mobile) return false;
  return issue(ctx, c, 'ticket', {
    kind: 'COMPLAINT_TICKET',
    channel: email ? 'EMAIL' : 'SMS',
    targetRole: 'CUSTOMER',
    targetSite: null,
    recipient: email ? contact : mobile,
    templateKey: 'COMPLAINT_TICKET',
    body: `${surnameOf(complaint.customerName)}先生/女士您好，您对快件${c.waybillNo}的投诉已受理，工单号 {caseNo}。`,
    vars: { waybillNo: c.waybillNo, caseId: c.id },
    eventTime,
    attempt: null,
  });
}
