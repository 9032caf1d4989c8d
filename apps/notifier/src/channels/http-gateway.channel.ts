import { maskPii } from '#observability';
import type { GatewayRateLimits } from './rate-limiter.js';
import { PermanentDeliveryError, UnroutedError, type NotificationChannel, type OutgoingNotification, type SendResult } from './notification-channel.js';

export interface HttpGatewayOptions {
  /** Names the channel in errors and metrics (`sms`, `webhook`, `staff-relay`). */
  name: string;
  /** Where this notification goes, or null when nothing is configured for its target. */
  resolveUrl: (notification: OutgoingNotification) => string | null;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Shared by every send of the process: one limiter per gateway host. */
  rateLimits: GatewayRateLimits;
  timeoutMs: number;
}

/** Longest piece of a provider's error answer kept in the error (masked: providers echo the number they refused). */
const ERROR_TEXT_LIMIT = 200;

/**
 * A JSON-over-HTTP provider: SMS gateway, site webhook, staff e-mail/webhook relay. Every request carries the
 * notification id as `Idempotency-Key`, so a retry after a crash between send and log is recognised by the
 * provider and never reaches the person twice.
 */
export class HttpGatewayChannel implements NotificationChannel {
  readonly name: string;

  constructor(private readonly options: HttpGatewayOptions) {
    this.name = options.name;
  }

  async send(notification: OutgoingNotification): Promise<SendResult> {
    const url = this.options.resolveUrl(notification);
    if (!url) {
      throw new UnroutedError(`${this.name}: no URL configured for ${notification.targetRole}@${notification.targetSite ?? '-'}`);
    }
    await this.options.rateLimits.forUrl(url).acquire();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': notification.idempotencyKey,
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify(gatewayPayload(notification)),
      });
    } catch (error) {
      // Network failure or timeout: the provider may or may not have it; the retry's idempotency key settles it.
      throw new Error(`${this.name}: ${(error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (error as Error).message}`);
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, ERROR_TEXT_LIMIT).trim();
      const message = `${this.name}: HTTP ${response.status}${detail ? ` ${maskPii(detail)}` : ''}`;
      // 4xx (except 408 timeout and 429 throttling) means this request will never be accepted as it is.
      const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
      throw permanent ? new PermanentDeliveryError(message) : new Error(message);
    }
    const body = (await response.json().catch(() => ({}))) as { id?: unknown };
    return { providerRef: typeof body.id === 'string' ? body.id : null };
  }
}

/** The request body every HTTP provider receives. `wrongTarget` is lifted out of `vars` so a branch system need not dig for it. */
export function gatewayPayload(notification: OutgoingNotification) {
  return {
    id: notification.idempotencyKey,
    kind: notification.kind,
    channel: notification.channel,
    to: notification.recipient,
    site: notification.targetSite,
    role: notification.targetRole,
    template: notification.templateKey,
    text: notification.body,
    caseId: notification.caseId,
    caseNo: notification.caseNo,
    waybillNo: notification.waybillNo,
    eventTime: notification.eventTime,
    wrongTarget: notification.vars.wrongTarget === true,
    vars: notification.vars,
  };
}
