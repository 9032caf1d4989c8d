import type { OutgoingNotification } from '../channels/notification-channel.js';

/** A row of the notification log (the queue of record), with its case's number and waybill. */
export interface NotificationRow {
  notification_id: string;
  case_id: string;
  /** From problem_case; null when the case row is not there (it is written in the same transaction). */
  case_no: string | null;
  waybill_no: string | null;
  kind: string;
  channel: string;
  target_role: string;
  target_site: string | null;
  recipient: string | null;
  recipient_masked: string | null;
  template_key: string | null;
  body: string;
  vars: Record<string, unknown>;
  event_time: Date;
  not_before: Date | null;
  already_sent: boolean;
  status: NotificationStatus;
  attempts: number;
  sent_at: Date | null;
}

/**
 * PENDING (due at next_attempt_at) → SENDING (claimed; the lease ends at next_attempt_at) → SENT, or back to
 * PENDING to retry, or FAILED / UNROUTED for good. HELD waits for quiet hours to end. RECORDED: sent by the
 * courier's handheld, kept as evidence only.
 */
export type NotificationStatus = 'PENDING' | 'HELD' | 'SENDING' | 'SENT' | 'FAILED' | 'UNROUTED' | 'RECORDED';

/** States a delivery may pick up (when due). */
export const DELIVERABLE_STATUSES: readonly NotificationStatus[] = ['PENDING', 'HELD', 'SENDING'];

export const SELECT_NOTIFICATION = `
  SELECT n.notification_id, n.case_id, pc.case_no, pc.waybill_no, n.kind, n.channel, n.target_role, n.target_site,
         n.recipient, n.recipient_masked, n.template_key, n.body, n.vars, n.event_time, n.not_before, n.already_sent,
         n.status, n.attempts, n.sent_at
  FROM notification n LEFT JOIN problem_case pc ON pc.case_id = n.case_id`;

/** Thrown while preparing a message whose case number is not known yet: a transient state, retried. */
export class CaseNumberPendingError extends Error {
  override readonly name = 'CaseNumberPendingError';
}

const CASE_NO_PLACEHOLDER = '{caseNo}';

/**
 * The waybill of a notification: its case's, else the engine's vars, else the case id's prefix (case ids are
 * `${waybillNo}-${class}-${n}` and waybill numbers have no '-').
 */
export function waybillOf(row: Pick<NotificationRow, 'waybill_no' | 'vars' | 'case_id'>): string {
  if (row.waybill_no) return row.waybill_no;
  if (typeof row.vars.waybillNo === 'string' && row.vars.waybillNo) return row.vars.waybillNo;
  return row.case_id.split('-')[0]!;
}

/**
 * The message as it goes out. The engine cannot know the case number (persistence assigns it), so texts that
 * quote it — the complaint ticket — carry `{caseNo}`, filled in here.
 */
export function renderBody(row: Pick<NotificationRow, 'body' | 'case_no'>): string {
  if (!row.body.includes(CASE_NO_PLACEHOLDER)) return row.body;
  if (!row.case_no) throw new CaseNumberPendingError('the case has no number yet for {caseNo}');
  return row.body.split(CASE_NO_PLACEHOLDER).join(row.case_no);
}

export function toOutgoing(row: NotificationRow): OutgoingNotification {
  return {
    idempotencyKey: row.notification_id,
    caseId: row.case_id,
    caseNo: row.case_no,
    waybillNo: waybillOf(row),
    kind: row.kind,
    channel: row.channel,
    targetRole: row.target_role,
    targetSite: row.target_site,
    recipient: row.recipient,
    recipientMasked: row.recipient_masked,
    templateKey: row.template_key,
    body: renderBody(row),
    vars: row.vars ?? {},
    eventTime: new Date(row.event_time).toISOString(),
  };
}
