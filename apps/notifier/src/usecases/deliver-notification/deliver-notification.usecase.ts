import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CLOCK, POLICY, type Clock, type NotifierEnv } from '#config';
import type { Policy } from '#domain';
import { InjectPinoLogger, maskPii, PinoLogger } from '#observability';
import { OutboxRepository } from '#persistence';
import {
  CHANNELS,
  PermanentDeliveryError,
  UnroutedError,
  type ChannelTable,
  type OutgoingNotification,
  type SendResult,
} from '../../channels/notification-channel.js';
import { isExternalAudience } from '../../delivery/audience.js';
import { assertNoPersonalData, requireMobile, type PersonOnFile } from '../../delivery/message-guard.js';
import { notificationEvent, type NotificationOutcome } from '../../delivery/notification-event.js';
import { DELIVERABLE_STATUSES, SELECT_NOTIFICATION, toOutgoing, waybillOf, type NotificationRow } from '../../delivery/notification-row.js';
import { OPS_ALERT_KIND, raiseOpsAlert } from '../../delivery/ops-alert.js';
import { customerQuietHoursRelease } from '../../delivery/quiet-hours.js';
import { retryDelayMs } from '../../delivery/retry-policy.js';
import { NotifierMetrics } from '../../notifier.metrics.js';
import { NOTIFIER_ENV } from '../../notifier.env.js';

export type DeliveryOutcome = 'SENT' | 'HELD' | 'RETRY' | 'FAILED' | 'UNROUTED' | 'SKIPPED';

type Claim = { kind: 'skipped' } | { kind: 'held'; row: NotificationRow; until: Date } | { kind: 'claimed'; row: NotificationRow };

/** Longest error text kept in the log row and in alerts. */
const ERROR_LIMIT = 500;

/**
 * Delivers one logged notification at most once to its person, and logs it at least once:
 * 1. the row is claimed — SENDING, attempt counted, a lease until which nobody else takes it — and committed
 *    *before* the send;
 * 2. the channel sends with the notification id as idempotency key;
 * 3. the row is marked SENT and a `courier.notification.v1` message is queued, in one transaction.
 * A crash between 2 and 3 leaves SENDING: once the lease ends the row is sent again with the same key, which the
 * provider recognises, so the person is not told twice. Customer SMS in quiet hours wait (HELD). Failures are
 * retried with exponential backoff and full jitter; the last one (or one retrying cannot fix) ends as FAILED or
 * UNROUTED with an ops alert.
 */
@Injectable()
export class DeliverNotificationUseCase {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CHANNELS) private readonly channels: ChannelTable,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFIER_ENV) private readonly env: NotifierEnv,
    @Inject(POLICY) private readonly policy: Policy,
    private readonly metrics: NotifierMetrics,
    @InjectPinoLogger(DeliverNotificationUseCase.name) private readonly log: PinoLogger,
  ) {}

  async execute(notificationId: string): Promise<DeliveryOutcome> {
    const claim = await this.claim(notificationId);
    if (claim.kind === 'skipped') return 'SKIPPED';
    if (claim.kind === 'held') {
      this.metrics.outcomes.inc({ outcome: 'held', channel: claim.row.channel, kind: claim.row.kind });
      this.log.debug({ ...describe(claim.row), until: claim.until.toISOString() }, 'notification held for quiet hours');
      return 'HELD';
    }
    return this.deliver(claim.row);
  }

  /** Takes the row if it is due and nobody holds it; holds customer SMS through quiet hours instead. */
  private claim(notificationId: string): Promise<Claim> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager): Promise<Claim> => {
      const [row]: NotificationRow[] = await manager.query(
        `${SELECT_NOTIFICATION}
         WHERE n.notification_id = $1 AND n.status = ANY($2::text[]) AND n.next_attempt_at <= $3
         FOR UPDATE OF n SKIP LOCKED`,
        [notificationId, DELIVERABLE_STATUSES, now],
      );
      if (!row) return { kind: 'skipped' };
      const holdUntil = this.holdUntil(row, now);
      if (holdUntil) {
        await manager.query(
          `UPDATE notification SET status = 'HELD', next_attempt_at = $2, updated_at = now() WHERE notification_id = $1`,
          [notificationId, holdUntil],
        );
        return { kind: 'held', row, until: holdUntil };
      }
      // The lease: if this process dies mid-send, the row becomes due again when it ends.
      await manager.query(
        `UPDATE notification SET status = 'SENDING', attempts = attempts + 1, next_attempt_at = $2, updated_at = now()
         WHERE notification_id = $1`,
        [notificationId, new Date(now.getTime() + this.env.NOTIFY_CLAIM_LEASE_MS)],
      );
      return { kind: 'claimed', row: { ...row, status: 'SENDING', attempts: row.attempts + 1 } };
    });
  }

  /** The engine's quiet-hours release (`not_before`), or the end of the quiet hours the send would fall in. */
  private holdUntil(row: NotificationRow, now: Date): Date | null {
    if (row.not_before && new Date(row.not_before) > now) return new Date(row.not_before);
    return customerQuietHoursRelease({ channel: row.channel, targetRole: row.target_role }, now, this.policy);
  }

  private async deliver(row: NotificationRow): Promise<DeliveryOutcome> {
    let outgoing: OutgoingNotification;
    let result: SendResult;
    const started = performance.now();
    try {
      outgoing = toOutgoing(row);
      await this.checkBeforeSending(outgoing);
      const channel = this.channels[row.channel];
      if (!channel) throw new UnroutedError(`no provider configured for channel ${row.channel}`);
      result = await channel.send(outgoing);
      this.metrics.sendSeconds.observe({ channel: row.channel, result: 'ok' }, (performance.now() - started) / 1000);
    } catch (error) {
      this.metrics.sendSeconds.observe({ channel: row.channel, result: 'error' }, (performance.now() - started) / 1000);
      return this.failed(row, error as Error);
    }
    // Not caught: if recording the success fails, the row stays SENDING and is resent under the same key.
    await this.markSent(row, result);
    return 'SENT';
  }

  /** Rules §6 on the notifier's side: SMS need a valid mobile; customer messages carry no personal data beyond the surname. */
  private async checkBeforeSending(notification: OutgoingNotification): Promise<void> {
    if (notification.channel === 'SMS') requireMobile(notification.recipient);
    if (!isExternalAudience(notification.targetRole)) return;
    const surname = notification.vars.surname;
    assertNoPersonalData(notification.body, await this.peopleOnWaybill(notification.waybillNo), {
      allowedSurname: typeof surname === 'string' ? surname : null,
      recipient: notification.recipient,
    });
  }

  /** The recipient and sender of the waybill's PICKUP scan, as the engine keeps them in the waybill's state. */
  private async peopleOnWaybill(waybillNo: string): Promise<PersonOnFile[]> {
    const rows: { recipient: Partial<PersonOnFile> | null; sender: Partial<PersonOnFile> | null }[] = await this.dataSource.query(
      `SELECT state -> 'pickup' -> 'recipient' AS recipient, state -> 'pickup' -> 'sender' AS sender
       FROM waybill_state WHERE waybill_no = $1`,
      [waybillNo],
    );
    return rows.flatMap((r) => [r.recipient, r.sender]).filter((p): p is Partial<PersonOnFile> => Boolean(p)).map((p) => ({
      name: p.name ?? null,
      mobile: p.mobile ?? null,
      address: p.address ?? null,
    }));
  }

  private async markSent(row: NotificationRow, result: SendResult): Promise<void> {
    const sentAt = this.clock.now();
    const recorded = await this.dataSource.transaction(async (manager) => {
      // `attempts` is the claim's token: a process whose lease ran out and was overtaken records nothing.
      const updated: unknown[] = await manager.query(
        `UPDATE notification SET status = 'SENT', sent_at = $3, provider_ref = $4, last_error = NULL, updated_at = now()
         WHERE notification_id = $1 AND status = 'SENDING' AND attempts = $2 RETURNING notification_id`,
        [row.notification_id, row.attempts, sentAt, result.providerRef],
      );
      if (updated.length === 0) return false;
      await this.publishOutcome(manager, row, { status: 'SENT', at: sentAt });
      return true;
    });
    if (!recorded) {
      this.log.warn(describe(row), 'notification sent, but its claim had been taken over: the newer claim records it');
      return;
    }
    this.metrics.outcomes.inc({ outcome: 'sent', channel: row.channel, kind: row.kind });
    this.log.debug({ ...describe(row), providerRef: result.providerRef }, 'notification sent');
  }

  private async failed(row: NotificationRow, error: Error): Promise<DeliveryOutcome> {
    const message = maskPii(error.message).slice(0, ERROR_LIMIT);
    const permanent = error instanceof PermanentDeliveryError;
    if (!permanent && row.attempts < this.env.NOTIFY_MAX_ATTEMPTS) {
      const delay = retryDelayMs(row.attempts, { baseMs: this.env.NOTIFY_BACKOFF_MS, maxMs: this.env.NOTIFY_BACKOFF_MAX_MS });
      const retryAt = new Date(this.clock.now().getTime() + delay);
      await this.dataSource.query(
        `UPDATE notification SET status = 'PENDING', last_error = $3, next_attempt_at = $4, updated_at = now()
         WHERE notification_id = $1 AND status = 'SENDING' AND attempts = $2`,
        [row.notification_id, row.attempts, message, retryAt],
      );
      this.metrics.outcomes.inc({ outcome: 'retry', channel: row.channel, kind: row.kind });
      this.log.warn({ ...describe(row), retryInMs: delay, error: message }, 'notification attempt failed, will retry');
      return 'RETRY';
    }

    const status = error instanceof UnroutedError ? 'UNROUTED' : 'FAILED';
    const at = this.clock.now();
    const opsAlertId = await this.dataSource.transaction(async (manager) => {
      const updated: unknown[] = await manager.query(
        `UPDATE notification SET status = $3, last_error = $4, next_attempt_at = $5, updated_at = now()
         WHERE notification_id = $1 AND status = 'SENDING' AND attempts = $2 RETURNING notification_id`,
        [row.notification_id, row.attempts, status, message, at],
      );
      if (updated.length === 0) return null;
      await this.publishOutcome(manager, row, { status: 'FAILED', at, error: `${status}: ${message}` });
      // The person was not told: ops must be. An ops alert that fails itself is logged, never re-alerted.
      if (row.kind === OPS_ALERT_KIND) return null;
      return raiseOpsAlert(manager, { row, status, attempts: row.attempts, error: message, at, webhookUrl: this.env.OPS_ALERT_WEBHOOK_URL });
    });
    this.metrics.outcomes.inc({ outcome: status.toLowerCase(), channel: row.channel, kind: row.kind });
    this.log.error(
      { ...describe(row), status, error: message, opsAlertId },
      row.kind === OPS_ALERT_KIND ? 'ops alert could not be delivered' : 'notification given up: ops alerted',
    );
    return status;
  }

  private async publishOutcome(manager: EntityManager, row: NotificationRow, outcome: NotificationOutcome): Promise<void> {
    const event = notificationEvent(row, outcome);
    if (!event.success) {
      // A contract bug must not undo a delivery that happened; the row is the evidence, the message is withheld.
      this.log.error({ ...describe(row), issues: event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'notification event invalid, not published');
      return;
    }
    // Keyed by waybill like every other message of the network, so one waybill's messages stay in order.
    await OutboxRepository.append(manager, [{ topicRole: 'notification', key: event.data.waybillNo, payload: event.data }]);
  }
}

/** What a log line may say about a notification: ids, kind, route and the masked recipient, never the text. */
function describe(row: NotificationRow) {
  return {
    notificationId: row.notification_id,
    caseId: row.case_id,
    waybillNo: waybillOf(row),
    kind: row.kind,
    channel: row.channel,
    target: `${row.target_role}${row.target_site ? `@${row.target_site}` : ''}`,
    recipientMasked: row.recipient_masked,
    attempt: row.attempts,
  };
}
