import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InjectPinoLogger, PinoLogger } from '#observability';
import { OutboxRepository } from '#persistence';
import { notificationEvent } from '../../delivery/notification-event.js';
import { SELECT_NOTIFICATION, type NotificationRow } from '../../delivery/notification-row.js';
import { NotifierMetrics } from '../../notifier.metrics.js';

/**
 * Customer SMS the courier's handheld already sent (`smsSent: true`, rules §6) are logged by the decision
 * transaction as RECORDED and never sent again. This publishes each once on `courier.notification.v1` as
 * ALREADY_SENT, stamped with the scan's event time; `sent_at` marks it done, in the same transaction.
 */
@Injectable()
export class RecordHandheldSmsUseCase {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: NotifierMetrics,
    @InjectPinoLogger(RecordHandheldSmsUseCase.name) private readonly log: PinoLogger,
  ) {}

  /** Ids of handheld SMS not yet published, oldest first. */
  async pending(limit: number): Promise<string[]> {
    const rows: { notification_id: string }[] = await this.dataSource.query(
      `SELECT notification_id FROM notification WHERE status = 'RECORDED' AND sent_at IS NULL ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.notification_id);
  }

  async execute(notificationId: string): Promise<boolean> {
    const published = await this.dataSource.transaction(async (manager) => {
      const [row]: NotificationRow[] = await manager.query(
        `${SELECT_NOTIFICATION} WHERE n.notification_id = $1 AND n.status = 'RECORDED' AND n.sent_at IS NULL FOR UPDATE OF n SKIP LOCKED`,
        [notificationId],
      );
      if (!row) return null;
      await manager.query(
        `UPDATE notification SET sent_at = event_time, provider_ref = 'handheld', updated_at = now() WHERE notification_id = $1`,
        [notificationId],
      );
      const event = notificationEvent(row, { status: 'ALREADY_SENT', at: new Date(row.event_time) });
      if (!event.success) {
        this.log.error({ notificationId, issues: event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'handheld SMS event invalid, not published');
        return row;
      }
      await OutboxRepository.append(manager, [{ topicRole: 'notification', key: event.data.waybillNo, payload: event.data }]);
      return row;
    });
    if (!published) return false;
    this.metrics.outcomes.inc({ outcome: 'already_sent', channel: published.channel, kind: published.kind });
    return true;
  }
}
