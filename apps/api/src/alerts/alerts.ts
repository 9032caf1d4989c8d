import { z } from 'zod';
import { maskPii } from '#observability';

/** What staff are alerted to live (issue 8): a new case, an overdue deadline, the origin branch's reply, a site alert. */
export const ALERT_TYPES = ['case.opened', 'case.overdue', 'case.reply', 'site.alert'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export interface Alert {
  /** `topic/partition/offset` of the message it came from: unique, and stable across API instances. */
  id: string;
  type: AlertType;
  /** Event time it belongs to when the message carries one, else when it was received. */
  at: string;
  caseId: string;
  caseNo: string | null;
  waybillNo: string;
  caseClass: string | null;
  reasonCode: string | null;
  state: string | null;
  /** The sites whose staff see it (rules §6): OB, DB and registering site, or the notification's target site. */
  sites: string[];
  message: string;
}

/**
 * A `courier.case.v1` message. Read leniently (`passthrough` of unknown fields, either spelling of the type:
 * `OPENED` as the outbox writes it or `CASE_OPENED` as the contract names it), because alerts are a view and a
 * newer producer must not silence them.
 */
const caseMessageSchema = z.object({
  type: z.string(),
  caseId: z.string().min(1),
  caseNo: z.string().nullish(),
  waybillNo: z.string().min(1),
  caseClass: z.string().nullish(),
  reasonCode: z.string().nullish(),
  state: z.string().nullish(),
  previousState: z.string().nullish(),
  originBranch: z.string().nullish(),
  deliveringBranch: z.string().nullish(),
  reportedBySite: z.string().nullish(),
  occurredAt: z.string().nullish(),
  openedAt: z.string().nullish(),
  flags: z
    .object({
      overdue: z.array(z.object({ rule: z.string(), party: z.string(), siteCode: z.string().nullish() })).optional(),
      noReply: z.boolean().optional(),
    })
    .passthrough()
    .nullish(),
  deadline: z.object({ rule: z.string(), dueAt: z.string(), party: z.string(), siteCode: z.string().nullish() }).passthrough().nullish(),
});

const notificationMessageSchema = z.object({
  notificationId: z.string(),
  caseId: z.string(),
  caseNo: z.string().nullish(),
  waybillNo: z.string(),
  kind: z.string(),
  channel: z.string(),
  targetRole: z.string(),
  targetSite: z.string().nullish(),
  body: z.string(),
  eventTime: z.string().nullish(),
  status: z.string(),
});

/** Staff channels: customer SMS never becomes a staff alert. */
const SITE_ALERT_CHANNELS = new Set(['BRANCH_ALERT', 'WEBHOOK']);

/**
 * Remembers each case's last state seen on the topic, so that "reply received" fires once, on the change into
 * INSTRUCTED, and not again on later changes of an instructed case. Bounded (oldest forgotten first).
 */
export class CaseStateMemory {
  private readonly states = new Map<string, string>();

  constructor(private readonly capacity = 100_000) {}

  /** Records the state and returns the one remembered before (undefined when the case was not seen yet). */
  swap(caseId: string, state: string): string | undefined {
    const previous = this.states.get(caseId);
    this.states.delete(caseId);
    this.states.set(caseId, state);
    if (this.states.size > this.capacity) this.states.delete(this.states.keys().next().value!);
    return previous;
  }
}

/** States of a case still waiting for the origin branch's instruction (rules §7). */
const BEFORE_REPLY: ReadonlySet<string> = new Set(['OPEN', 'NOTIFIED', 'AWAITING_REPLY']);

/**
 * Whether a state change shows the OB's reply arriving: into INSTRUCTED, or straight into IN_ACTION from a state
 * before the reply (a reply whose action already shows, or that completes a COD or payment change). IN_ACTION for
 * other reasons is no reply: a complaint being worked, or the default procedure after NO_REPLY. A jump into IN_ACTION
 * is only trusted from a remembered earlier state, so a restarted API does not announce old replies.
 */
export function replyReceived(caseClass: string | null | undefined, state: string | null | undefined, previous: string | undefined, noReply: boolean): boolean {
  if (caseClass === 'COMPLAINT' || noReply) return false;
  if (state === 'INSTRUCTED') return previous !== 'INSTRUCTED';
  return state === 'IN_ACTION' && previous !== undefined && BEFORE_REPLY.has(previous);
}

const sitesOf = (...sites: (string | null | undefined)[]) => [...new Set(sites.filter((s): s is string => Boolean(s)))];

/** The alert a `courier.case.v1` message raises, if any. */
export function alertFromCaseMessage(id: string, value: unknown, memory: CaseStateMemory, receivedAt: Date): Alert | null {
  const parsed = caseMessageSchema.safeParse(value);
  if (!parsed.success) return null;
  const event = parsed.data;
  const type = event.type.replace(/^CASE_/, '');
  const remembered = event.state ? memory.swap(event.caseId, event.state) : undefined;
  const previous = event.previousState ?? remembered;
  const base = {
    id,
    caseId: event.caseId,
    caseNo: event.caseNo ?? null,
    waybillNo: event.waybillNo,
    caseClass: event.caseClass ?? null,
    reasonCode: event.reasonCode ?? null,
    state: event.state ?? null,
    sites: sitesOf(event.originBranch, event.deliveringBranch, event.reportedBySite),
  };
  const label = `${event.caseNo ?? event.caseId} ${event.caseClass ?? ''}/${event.reasonCode ?? ''} ${event.waybillNo}`;
  if (type === 'OPENED') {
    return { ...base, type: 'case.opened', at: event.openedAt ?? event.occurredAt ?? receivedAt.toISOString(), message: `new case ${label}` };
  }
  if (type === 'OVERDUE') {
    const rules = event.deadline ? [event.deadline.rule] : (event.flags?.overdue ?? []).map((o) => o.rule);
    return {
      ...base,
      type: 'case.overdue',
      at: event.deadline?.dueAt ?? event.occurredAt ?? receivedAt.toISOString(),
      message: `overdue${rules.length ? ` (${[...new Set(rules)].join(', ')})` : ''}: ${label}`,
    };
  }
  if (replyReceived(event.caseClass, event.state, previous, event.flags?.noReply === true)) {
    return { ...base, type: 'case.reply', at: event.occurredAt ?? receivedAt.toISOString(), message: `reply received: ${label}` };
  }
  return null;
}

/** The alert a `courier.notification.v1` message raises: staff notifications to a site, never customer SMS. */
export function alertFromNotificationMessage(id: string, value: unknown, receivedAt: Date): Alert | null {
  const parsed = notificationMessageSchema.safeParse(value);
  if (!parsed.success) return null;
  const n = parsed.data;
  if (!SITE_ALERT_CHANNELS.has(n.channel) || !n.targetSite || n.status === 'FAILED') return null;
  return {
    id,
    type: 'site.alert',
    at: n.eventTime ?? receivedAt.toISOString(),
    caseId: n.caseId,
    caseNo: n.caseNo ?? null,
    waybillNo: n.waybillNo,
    caseClass: null,
    reasonCode: null,
    state: null,
    sites: [n.targetSite],
    // Alerts are a place rules §6 names: personal data masked, whatever the producer did.
    message: `${n.kind} → ${n.targetRole}@${n.targetSite}: ${maskPii(n.body)}`,
  };
}
