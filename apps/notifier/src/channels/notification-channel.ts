/** What a channel needs to deliver one notification; `idempotencyKey` is the notification's deterministic id. */
export interface OutgoingNotification {
  idempotencyKey: string;
  caseId: string;
  caseNo: string | null;
  waybillNo: string;
  kind: string;
  /** The engine's channel name: BRANCH_ALERT, SMS, EMAIL or WEBHOOK. */
  channel: string;
  targetRole: string;
  targetSite: string | null;
  /** Phone number, e-mail address, webhook URL or courier id; never logged unmasked. */
  recipient: string | null;
  recipientMasked: string | null;
  templateKey: string | null;
  /** The final text (placeholders the notifier owns, such as `{caseNo}`, already filled in). */
  body: string;
  vars: Record<string, unknown>;
  /** Event time the notification was issued for (ISO-8601). */
  eventTime: string;
}

export interface SendResult {
  /** The provider's reference for the message (message id, or `stored` for alerts kept for the live stream). */
  providerRef: string | null;
}

/** A failure that retrying cannot fix (a 4xx from a gateway, a rejected message): the notification fails at once. */
export class PermanentDeliveryError extends Error {
  override readonly name: string = 'PermanentDeliveryError';
}

/** Nowhere to send it: no provider, address or valid number for this channel and target. Recorded as UNROUTED. */
export class UnroutedError extends PermanentDeliveryError {
  override readonly name: string = 'UnroutedError';
}

/**
 * The message must not go out as it is (personal data beyond what rules §6 allows): recorded as FAILED and raised
 * to ops, because it points at a template or engine defect rather than at the recipient.
 */
export class RejectedContentError extends PermanentDeliveryError {
  override readonly name: string = 'RejectedContentError';
}

/** One way of telling someone. Providers live behind this interface; nothing else knows their APIs. */
export interface NotificationChannel {
  readonly name: string;
  send(notification: OutgoingNotification): Promise<SendResult>;
}

/** Injection token of the channel table: engine channel name (NotificationIntent.channel) → provider. */
export const CHANNELS = Symbol('CHANNELS');

export type ChannelTable = Readonly<Record<string, NotificationChannel>>;
