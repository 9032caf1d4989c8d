import type { NotificationChannel, OutgoingNotification, SendResult } from './notification-channel.js';

/** The provider ref of an alert kept only in the notification log. */
export const STORED = 'stored';

/**
 * Alerts to a branch or hub. The SENT row in the notification log is what the API's live stream and the site's
 * work list show; a site with a webhook URL in the policy is pushed to as well (and a failed push is retried
 * like any other send, so the site's system does get it).
 */
export class BranchAlertChannel implements NotificationChannel {
  readonly name = 'branch-alert';

  constructor(
    private readonly webhookOf: (site: string | null) => string | null,
    private readonly webhook: NotificationChannel,
  ) {}

  async send(notification: OutgoingNotification): Promise<SendResult> {
    if (this.webhookOf(notification.targetSite)) return this.webhook.send(notification);
    return { providerRef: STORED };
  }
}
