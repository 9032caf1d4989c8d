/**
 * rules.md §2.1: cases opened by the scan stream before anyone registers them, and the scan facts the rules
 * need (attempt counts, courier, arrivals and departures).
 *  - MISSENT: a BRANCH_ARRIVAL at a branch other than the one the item is heading to (the DB; the OB once a
 *    RETURN_DISPATCHED sent it back); a HUB_DEPARTURE towards such a branch; a HUB_ARRIVAL at a hub missing
 *    from `hubRoutes` of that branch (no list: never).
 *  - HELD_AT_HUB: a HOLD scan at a hub; or the DWELL timer: no onward movement (a HUB_DEPARTURE from that hub,
 *    or any scan at another site, by event time) within `hubDwellLimitMinutes` of the latest HUB_ARRIVAL; the
 *    case then opens at that moment (§7).
 *  - FAILED_DELIVERY: a DELIVERY_FAILED scan, one D4 deadline and one customer SMS per attempt; attempts and
 *    CANNOT_PAY attempts are counted per waybill (D11).
 * Scans that arrive before the PICKUP are held in `state.pending` by `decide` and replayed after it.
 */
import type { ScanEvent } from '#contracts';
import { allowedHubsFor, siteOf } from '../policy/index.js';
import { dwellTimerId, idToken } from './case-identity.js';
import type { EngineContext, Source } from './context.js';
import { onwardMovement, targetBranchAt, withScan } from './facts.js';
import { caseData, type AttemptFact, type Detection, type ScanFact } from './model.js';
import { alertSite, customerSmsForAttempt, notifySenderCannotPay } from './notifications.js';
import { openOrJoinCase, refreshCase } from './state-machine.js';
import { closeCase } from './closing.js';
import { plusMinutes, utc } from './time.js';
import type { Deadline } from './types.js';
import { CANNOT_PAY_ATTEMPTS_BEFORE_SENDER } from './rules/d11-cannot-pay.js';

function toScanFact(ctx: EngineContext, scan: ScanEvent, at: string): ScanFact {
  const fact: ScanFact = { id: scan.eventId, type: scan.scanType, site: scan.siteCode, siteType: scan.siteType, at, operatorId: scan.operatorId ?? null };
  switch (scan.scanType) {
    case 'HUB_DEPARTURE':
      fact.next = scan.nextSiteCode;
      break;
    case 'HOLD':
      if (scan.reasonCode) fact.reason = scan.reasonCode;
      break;
    case 'OUT_FOR_DELIVERY':
      fact.courierId = scan.courierId;
      fact.courierPhone = scan.courierPhone ?? null;
      break;
    case 'DELIVERY_FAILED': {
      const facts = ctx.mutableFacts();
      facts.failedAttempts += 1;
      fact.attemptNo = facts.failedAttempts;
      fact.reason = scan.reasonCode;
      fact.reportedAttempt = scan.attempt;
      fact.smsSent = scan.smsSent === true;
      if (scan.reasonCode === 'CANNOT_PAY') {
        facts.cannotPayAttempts += 1;
        fact.cannotPayNo = facts.cannotPayAttempts;
      }
      break;
    }
    case 'SIGNED':
      fact.carrier = scan.carrier ?? null;
      break;
    case 'TRANSFERRED':
      fact.carrier = scan.carrier;
      break;
    default:
      break;
  }
  return fact;
}

/** Records the PICKUP: the origin and delivering branches, recipient and sender, COD. A repeated PICKUP changes nothing. */
export function recordPickup(ctx: EngineContext, scan: Extract<ScanEvent, { scanType: 'PICKUP' }>): void {
  if (ctx.state.pickup) return;
  ctx.state.pickup = {
    eventId: scan.eventId,
    occurredAt: utc(scan.occurredAt),
    originBranch: scan.originBranch,
    destinationBranch: scan.destinationBranch,
    recipient: {
      name: scan.recipient.name,
      mobile: scan.recipient.mobile ?? null,
      address: scan.recipient.address,
      gender: scan.recipient.gender ?? null,
    },
    sender: { name: scan.sender.name, mobile: scan.sender.mobile ?? null, address: scan.sender.address ?? null },
    codFen: scan.cod?.amountFen ?? null,
    codMethod: scan.cod?.method ?? null,
    freightPayer: scan.freightPayer,
    customerClass: scan.customerClass ?? null,
  };
  ctx.state.deliveringBranch = scan.destinationBranch;
}

export function handleScan(ctx: EngineContext, scan: ScanEvent, source: Source): void {
  const at = source.at;
  if (scan.scanType === 'PICKUP') recordPickup(ctx, scan);
  const fact = toScanFact(ctx, scan, at);
  const facts = ctx.mutableFacts();
  facts.scans = withScan(facts.scans, fact);

  const scans = facts.scans;
  const target = targetBranchAt(ctx.state, scans, at);
  const detection = (how: Detection['how'], reasonCode: string, detail?: Detection['detail']): Detection => ({
    eventId: scan.eventId,
    at,
    source: 'SCAN',
    how,
    site: scan.siteCode,
    reasonCode,
    ...(detail ? { detail } : {}),
  });
  const tag = `scan-${idToken(scan.eventId)}`;

  switch (scan.scanType) {
    case 'BRANCH_ARRIVAL':
      if (target && scan.siteCode !== target) {
        const c = openOrJoinCase(ctx, 'WRONG_ROUTING', detection('BRANCH_ARRIVAL', 'MISSENT', { heading: target }), source.actor);
        alertSite(ctx, c, { kind: 'SITE_ALERT', site: scan.siteCode, role: 'RB', discriminator: tag, scope: 'EVENT', eventTime: at, message: `missent: register it and transship to ${target}` });
      }
      break;
    case 'HUB_DEPARTURE':
      if (target && scan.nextSiteCode !== target && siteOf(ctx.policy, scan.nextSiteCode)?.type === 'BRANCH') {
        // Arms nothing at the departing hub (it has let the item go); D3 follows at the RB once it arrives.
        const c = openOrJoinCase(ctx, 'WRONG_ROUTING', detection('HUB_DEPARTURE', 'MISSENT', { heading: scan.nextSiteCode }), source.actor);
        alertSite(ctx, c, { kind: 'SITE_ALERT', site: scan.nextSiteCode, role: 'RB', discriminator: tag, scope: 'EVENT', eventTime: at, message: `a missent item is heading to you: transship it to ${target}` });
      }
      break;
    case 'HUB_ARRIVAL': {
      const allowed = target ? allowedHubsFor(ctx.policy, target) : null;
      if (allowed && !allowed.includes(scan.siteCode)) {
        const c = openOrJoinCase(ctx, 'WRONG_ROUTING', detection('HUB_ARRIVAL', 'MISSENT', { heading: target }), source.actor);
        alertSite(ctx, c, { kind: 'SITE_ALERT', site: scan.siteCode, role: 'HUB', discriminator: tag, scope: 'EVENT', eventTime: at, message: `missent to this hub: register it by ${ctx.policy.d2CutoffTime} (D2) and send it on to ${target}` });
      }
      armDwellTimer(ctx, scan.siteCode, at);
      break;
    }
    case 'HOLD':
      if (scan.siteType === 'HUB') {
        const c = openOrJoinCase(ctx, 'WRONG_ROUTING', detection('HOLD', 'HELD_AT_HUB', { holdReason: scan.reasonCode ?? null }), source.actor);
        alertSite(ctx, c, { kind: 'SITE_ALERT', site: scan.siteCode, role: 'HUB', discriminator: tag, scope: 'EVENT', eventTime: at, message: 'item held at the hub' });
      }
      break;
    case 'DELIVERY_FAILED':
      recordFailedAttempt(ctx, fact, source);
      break;
    default:
      break;
  }
  evaluateDwellTimers(ctx, source);
}

function recordFailedAttempt(ctx: EngineContext, fact: ScanFact, source: Source): void {
  const c = openOrJoinCase(
    ctx,
    'FAILED_DELIVERY',
    { eventId: fact.id, at: fact.at, source: 'SCAN', how: 'DELIVERY_FAILED', site: fact.site, reasonCode: fact.reason! },
    source.actor,
  );
  const data = caseData(c);
  if (data.attempts.some((a) => a.scanId === fact.id)) return;
  const attempt: AttemptFact = {
    scanId: fact.id,
    n: fact.attemptNo!,
    cannotPayNo: fact.cannotPayNo ?? null,
    at: fact.at,
    site: fact.site,
    reasonCode: fact.reason!,
    smsSent: fact.smsSent === true,
    smsEvidence: 'NONE',
  };
  attempt.smsEvidence = customerSmsForAttempt(ctx, c, attempt);
  data.attempts.push(attempt);
  if (attempt.cannotPayNo === CANNOT_PAY_ATTEMPTS_BEFORE_SENDER && notifySenderCannotPay(ctx, c, attempt)) {
    if (!data.senderNotifiedAt || attempt.at < data.senderNotifiedAt) data.senderNotifiedAt = attempt.at;
  }
  // Always, even when the branch's registration was processed first: at the failure's event time nothing was
  // registered yet, and whether the alert goes out must not depend on which topic delivered first.
  alertSite(ctx, c, {
    kind: 'SITE_ALERT',
    site: fact.site,
    role: ctx.roleOf(fact.site, 'BRANCH'),
    discriminator: attempt.n,
    eventTime: fact.at,
    message: `failed delivery (${attempt.reasonCode}), attempt ${attempt.n}: register it today and notify the origin branch`,
  });
}

// ------------------------------------------------------------------------------------------ DWELL timer

function armDwellTimer(ctx: EngineContext, hub: string, arrivedAt: string): void {
  const dueAt = plusMinutes(arrivedAt, ctx.policy.hubDwellLimitMinutes);
  const pending = ctx.state.timers.find((t) => t.rule === 'DWELL' && t.status === 'PENDING' && t.siteCode === hub);
  if (pending) {
    if (arrivedAt <= pending.armedAt) return;
    // A later arrival at the same hub restarts the clock: the limit runs from the latest HUB_ARRIVAL.
    const timer = ctx.mutableTimers().find((t) => t.id === pending.id)!;
    const previousDueAt = timer.dueAt;
    timer.armedAt = arrivedAt;
    timer.dueAt = dueAt;
    ctx.emit({ type: 'DeadlineMoved', deadline: { ...timer }, previousDueAt });
    return;
  }
  const facts = ctx.mutableFacts();
  facts.hubVisits += 1;
  const timer: Deadline = {
    id: dwellTimerId(ctx.state.waybillNo, facts.hubVisits),
    caseId: null,
    rule: 'DWELL',
    dueAt,
    party: 'HUB',
    siteCode: hub,
    status: 'PENDING',
    armedAt: arrivedAt,
    metAt: null,
    missedAt: null,
    cancelledAt: null,
  };
  ctx.mutableTimers().push(timer);
  ctx.emit({ type: 'DeadlineArmed', deadline: { ...timer } });
}

function movementInTime(ctx: EngineContext, timer: Deadline): string | null {
  const movement = onwardMovement(ctx.facts.scans, timer.siteCode!, timer.armedAt);
  return movement && movement.at <= timer.dueAt ? movement.at : null;
}

/** Onward movement in time meets a pending DWELL timer, or retracts one that fired too early (a late scan). */
export function evaluateDwellTimers(ctx: EngineContext, source: Source): void {
  for (const original of ctx.state.timers) {
    if (original.rule !== 'DWELL' || (original.status !== 'PENDING' && original.status !== 'MISSED')) continue;
    const movedAt = movementInTime(ctx, original);
    if (!movedAt) continue;
    const timer = ctx.mutableTimers().find((t) => t.id === original.id)!;
    timer.metAt = movedAt;
    if (timer.status === 'PENDING') {
      timer.status = 'MET';
      ctx.emit({ type: 'DeadlineMet', deadline: { ...timer } });
    } else {
      timer.status = 'RETRACTED';
      ctx.emit({ type: 'DeadlineRetracted', deadline: { ...timer } });
      withdrawDwellDetection(ctx, timer, source);
    }
  }
}

/** The HELD_AT_HUB sighting the timer made is withdrawn; a case that rested on it alone closes. */
function withdrawDwellDetection(ctx: EngineContext, timer: Deadline, source: Source): void {
  for (const original of ctx.state.cases) {
    if (!caseData(original).detections.some((d) => d.eventId === timer.id)) continue;
    const c = ctx.mutableCase(original.id);
    const data = caseData(c);
    data.detections = data.detections.filter((d) => d.eventId !== timer.id);
    if (data.detections.length === 0 && !c.closedAt) {
      c.outcome = null;
      closeCase(ctx, c, { at: c.openedAt, outcome: 'RESOLVED', eventId: source.eventId ?? timer.id, actor: 'system', note: 'dwell detection retracted: the item had moved on in time' });
    } else {
      refreshCase(ctx, c);
    }
  }
}

/** The DWELL timer came due: without onward movement in time, HELD_AT_HUB opens at the moment the limit passed. */
export function fireDwellTimer(ctx: EngineContext, timerId: string, firedAt: string, source: Source): void {
  evaluateDwellTimers(ctx, source);
  const timer = ctx.mutableTimers().find((t) => t.id === timerId)!;
  if (timer.status !== 'PENDING') return;
  timer.status = 'MISSED';
  timer.missedAt = firedAt;
  ctx.emit({ type: 'DeadlineMissed', deadline: { ...timer } });
  const hub = timer.siteCode!;
  const c = openOrJoinCase(
    ctx,
    'WRONG_ROUTING',
    { eventId: timer.id, at: timer.dueAt, source: 'DWELL_TIMER', how: 'DWELL', site: hub, reasonCode: 'HELD_AT_HUB' },
    'system',
  );
  alertSite(ctx, c, {
    kind: 'SITE_ALERT',
    site: hub,
    role: 'HUB',
    discriminator: `dwell-${timer.id.slice(timer.id.lastIndexOf('-') + 1)}`,
    eventTime: timer.dueAt,
    message: `no onward movement within ${ctx.policy.hubDwellLimitMinutes} minutes of arrival`,
  });
}
