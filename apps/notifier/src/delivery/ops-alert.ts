import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { OutboxRepository, type NotificationIntentMessage } from '#persistence';
import { waybillOf, type NotificationRow } from './notification-row.js';

export const OPS_ALERT_KIND = 'OPS_ALERT';

/** The site whose stream ops (HQ) watch: alerts without a push target are stored there. */
const OPS_SITE = 'HQ';

export interface OpsAlertInput {
  row: NotificationRow;
  status: 'FAILED' | 'UNROUTED';
  attempts: number;
  /** Already masked. */
  error: string;
  at: Date;
  /** OPS_ALERT_WEBHOOK_URL: pushed there when set, else stored for HQ's live stream. */
  webhookUrl: string | undefined;
}

/**
 * A notification nobody could be given becomes an ops alert: a row of the same log (so it is delivered, retried
 * and evidenced like any other), with a deterministic id so that a repeated give-up raises it once, and its intent
 * in the outbox of the same transaction. It names the notification and the failure, never the person.
 */
export async function raiseOpsAlert(manager: EntityManager, input: OpsAlertInput): Promise<string> {
  const { row } = input;
  const id = `${row.notification_id}-${OPS_ALERT_KIND}`;
  const waybillNo = waybillOf(row);
  const body =
    `[${OPS_ALERT_KIND}] ${waybillNo}: ${row.kind} via ${row.channel} to ${row.target_role}` +
    `${row.target_site ? `@${row.target_site}` : ''} ${input.status} after ${input.attempts} attempt(s): ${input.error}`;
  const vars = {
    waybillNo,
    caseId: row.case_id,
    notificationId: row.notification_id,
    failedKind: row.kind,
    failedChannel: row.channel,
    targetRole: row.target_role,
    targetSite: row.target_site,
    recipientMasked: row.recipient_masked,
    status: input.status,
    attempts: input.attempts,
    error: input.error,
  };
  const channel = input.webhookUrl ? 'WEBHOOK' : 'BRANCH_ALERT';
  const inserted: unknown[] = await manager.query(
    `INSERT INTO notification (notification_id, case_id, kind, channel, target_role, target_site, recipient,
       recipient_masked, template_key, body, content_sha256, vars, event_time, status)
     VALUES ($1, $2, $3, $4, 'OPS', $5, $6, NULL, $3, $7, $8, $9, $10, 'PENDING')
     ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id`,
    [
      id,
      row.case_id,
      OPS_ALERT_KIND,
      channel,
      OPS_SITE,
      input.webhookUrl ?? null,
      body,
      createHash('sha256').update(body).digest('hex'),
      JSON.stringify(vars),
      input.at,
    ],
  );
  if (inserted.length > 0) {
    const intent: NotificationIntentMessage = { notificationId: id, caseId: row.case_id, kind: OPS_ALERT_KIND, notBefore: null };
    await OutboxRepository.append(manager, [{ topicRole: 'notificationIntent', key: row.case_id, payload: intent }]);
  }
  return id;
}
