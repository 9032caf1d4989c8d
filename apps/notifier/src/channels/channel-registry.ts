import type { NotifierEnv } from '#config';
import { siteOf, type Policy } from '#domain';
import { BranchAlertChannel } from './branch-alert.channel.js';
import { HttpGatewayChannel } from './http-gateway.channel.js';
import type { ChannelTable, NotificationChannel, OutgoingNotification } from './notification-channel.js';
import { GatewayRateLimits, RateLimiter } from './rate-limiter.js';
import { SmtpEmailChannel, type MailTransport } from './smtp-email.channel.js';

function httpUrl(value: string | null): string | null {
  return value && /^https?:\/\//i.test(value) ? value : null;
}

/**
 * The channel table: the engine's channel name (NotificationIntent.channel) → the provider that delivers it.
 * - BRANCH_ALERT: stored for the API's live stream, pushed to the site's webhook (policy) when it has one;
 * - WEBHOOK: the URL the engine resolved (the row's recipient), else the site's, else STAFF_WEBHOOK_URL;
 * - SMS: the SMS gateway (absent without SMS_GATEWAY_URL: such rows end UNROUTED);
 * - EMAIL: SMTP when SMTP_URL is set, else the staff relay at STAFF_WEBHOOK_URL.
 * Webhooks are rate-limited per host, the SMS gateway and the SMTP server each as one gateway.
 */
export function buildChannels(env: NotifierEnv, policy: Policy, mailTransport: MailTransport | null): ChannelTable {
  const siteWebhook = (site: string | null) => (site ? (siteOf(policy, site)?.webhookUrl ?? null) : null);
  const webhookLimits = new GatewayRateLimits(env.WEBHOOK_RATE_PER_SECOND);
  const timeoutMs = env.NOTIFY_SEND_TIMEOUT_MS;

  const webhook = new HttpGatewayChannel({
    name: 'webhook',
    resolveUrl: (n: OutgoingNotification) => httpUrl(n.recipient) ?? siteWebhook(n.targetSite) ?? env.STAFF_WEBHOOK_URL ?? null,
    rateLimits: webhookLimits,
    timeoutMs,
  });
  const channels: Record<string, NotificationChannel> = {
    BRANCH_ALERT: new BranchAlertChannel(siteWebhook, webhook),
    WEBHOOK: webhook,
  };
  if (env.SMS_GATEWAY_URL) {
    const url = env.SMS_GATEWAY_URL;
    channels.SMS = new HttpGatewayChannel({
      name: 'sms',
      resolveUrl: () => url,
      apiKey: env.SMS_GATEWAY_KEY,
      rateLimits: new GatewayRateLimits(env.SMS_GATEWAY_RATE_PER_SECOND),
      timeoutMs,
    });
  }
  if (mailTransport && env.SMTP_FROM) {
    channels.EMAIL = new SmtpEmailChannel(mailTransport, env.SMTP_FROM, new RateLimiter(env.SMTP_RATE_PER_SECOND));
  } else if (env.STAFF_WEBHOOK_URL) {
    const relay = env.STAFF_WEBHOOK_URL;
    channels.EMAIL = new HttpGatewayChannel({ name: 'staff-relay', resolveUrl: () => relay, rateLimits: webhookLimits, timeoutMs });
  }
  return channels;
}
