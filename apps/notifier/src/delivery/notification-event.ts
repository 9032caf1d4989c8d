import { notificationEventSchema, type NotificationEvent } from '#contracts';
import { renderBody, waybillOf, type NotificationRow } from './notification-row.js';

export type NotificationEventStatus = NotificationEvent['status'];

export interface NotificationOutcome {
  status: NotificationEventStatus;
  /** When it was handed to the channel; for ALREADY_SENT the handheld's (event) time; for FAILED when it gave up. */
  at: Date;
  error?: string;
}

/**
 * The `courier.notification.v1` message (events.md) for a row's outcome, validated against the contract.
 * Only masked data leaves: the recipient as stored masked, the text as sent (surname only, rules §6).
 * Returns the zod error instead of throwing: the outcome is already a fact, a bad message must not undo it.
 */
export function notificationEvent(row: NotificationRow, outcome: NotificationOutcome) {
  let body: string;
  try {
    body = renderBody(row);
  } catch {
    body = row.body; // a message that failed for want of its case number is reported as it stood
  }
  const attempt = row.vars?.attempt;
  return notificationEventSchema.safeParse({
    schemaVersion: 1,
    notificationId: row.notification_id,
    caseId: row.case_id,
    caseNo: row.case_no,
    waybillNo: waybillOf(row),
    kind: row.kind,
    channel: row.channel as NotificationEvent['channel'], // checked by the schema like every other field
    targetRole: row.target_role,
    targetSite: row.target_site,
    recipientMasked: row.recipient_masked,
    body,
    eventTime: new Date(row.event_time).toISOString(),
    notBefore: row.not_before ? new Date(row.not_before).toISOString() : null,
    sentAt: outcome.at.toISOString(),
    attempt: typeof attempt === 'number' && Number.isInteger(attempt) && attempt >= 1 ? attempt : null,
    status: outcome.status,
    ...(outcome.error ? { error: outcome.error.slice(0, 2000) } : {}),
  } satisfies NotificationEvent);
}
