import { createTransport } from 'nodemailer';
import { maskPii } from '#observability';
import { isExternalAudience } from '../delivery/audience.js';
import type { RateLimiter } from './rate-limiter.js';
import { PermanentDeliveryError, UnroutedError, type NotificationChannel, type OutgoingNotification, type SendResult } from './notification-channel.js';

/** The part of a mail transport this channel uses (nodemailer's, or a test double). */
export interface MailTransport {
  sendMail(mail: {
    from: string;
    to: string;
    subject: string;
    text: string;
    messageId: string;
    headers: Record<string, string>;
  }): Promise<{ messageId: string }>;
  close(): void;
}

/** A pooled nodemailer SMTP transport for `SMTP_URL` whose every wait ends after `timeoutMs`. */
export function createSmtpTransport(url: string, timeoutMs: number): MailTransport {
  return createTransport({
    url,
    pool: true,
    maxConnections: 2,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/**
 * Staff e-mail (supervisor, finance, reconciliation, CS) and customer e-mail (complaint tickets) over SMTP.
 * SMTP has no idempotency key: the Message-ID is derived from the notification id, so the copy a crash between
 * send and log may produce carries the same Message-ID as the first, which mail stores and clients collapse.
 */
export class SmtpEmailChannel implements NotificationChannel {
  readonly name = 'smtp';
  private readonly messageIdDomain: string;

  constructor(
    private readonly transport: MailTransport,
    private readonly from: string,
    private readonly rateLimit: RateLimiter,
  ) {
    this.messageIdDomain = /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'courier.notifier';
  }

  async send(notification: OutgoingNotification): Promise<SendResult> {
    const to = notification.recipient?.trim() ?? '';
    if (!EMAIL.test(to)) {
      throw new UnroutedError(`${this.name}: no e-mail address for ${notification.targetRole}@${notification.targetSite ?? '-'}`);
    }
    await this.rateLimit.acquire();
    try {
      const info = await this.transport.sendMail({
        from: this.from,
        to,
        subject: emailSubject(notification),
        text: emailText(notification),
        messageId: messageIdFor(notification.idempotencyKey, this.messageIdDomain),
        headers: { 'X-Notification-Id': notification.idempotencyKey, 'X-Case-Id': notification.caseId },
      });
      return { providerRef: info.messageId };
    } catch (error) {
      // nodemailer marks an SMTP refusal that retrying cannot change (5xx) as permanent.
      const failure = error as Error & { permanent?: boolean };
      // Error texts of SMTP servers quote the refused address: masked before it reaches a log or an alert.
      const message = `${this.name}: ${maskPii(failure.message)}`;
      throw failure.permanent === true ? new PermanentDeliveryError(message) : new Error(message);
    }
  }
}

/** `<notification-id@domain>`: stable across retries, so a resent copy is recognisably the same message. */
export function messageIdFor(notificationId: string, domain: string): string {
  return `<${notificationId.replace(/[^A-Za-z0-9._-]/g, '_')}@${domain}>`;
}

export function emailSubject(notification: OutgoingNotification): string {
  const ref = [notification.waybillNo, notification.caseNo].filter(Boolean).join(' ');
  if (isExternalAudience(notification.targetRole)) return `快件 ${ref}`;
  return `[${notification.kind}] ${ref}`;
}

/**
 * Customers get the message alone. Staff get it with the case references and the alert's variables (flags such
 * as the D9 wrong target among them), one per line, so that a mail rule or a person can act on them.
 */
export function emailText(notification: OutgoingNotification): string {
  if (isExternalAudience(notification.targetRole)) return `${notification.body}\n`;
  const details: [string, unknown][] = [
    ['case', notification.caseNo ?? notification.caseId],
    ['waybill', notification.waybillNo],
    ['kind', notification.kind],
    ['for', `${notification.targetRole}${notification.targetSite ? `@${notification.targetSite}` : ''}`],
    ['event time', notification.eventTime],
    ...Object.entries(notification.vars).filter(([key]) => !['waybillNo', 'caseId'].includes(key)),
  ];
  return `${notification.body}\n\n${details.map(([key, value]) => `${key}: ${String(value)}`).join('\n')}\n`;
}
