import type { OutgoingNotification } from '../channels/notification-channel.js';

/** A notification for channel tests: a customer SMS unless overridden. */
export function testNotification(overrides: Partial<OutgoingNotification> = {}): OutgoingNotification {
  return {
    idempotencyKey: 'SF1234567890-FAILED_DELIVERY-1-CUSTOMER_SMS-RECIPIENT-1',
    caseId: 'SF1234567890-FAILED_DELIVERY-1',
    caseNo: 'PI-202611-0000001',
    waybillNo: 'SF1234567890',
    kind: 'CUSTOMER_SMS',
    channel: 'SMS',
    targetRole: 'RECIPIENT',
    targetSite: null,
    recipient: '13812345678',
    recipientMasked: '138****5678',
    templateKey: 'EXPRESS/NOBODY_HOME',
    body: '王先生您好，EXPRESS快件SF1234567890今日派送未成功。',
    vars: { surname: '王', attempt: 1 },
    eventTime: '2026-11-23T07:00:00.000Z',
    ...overrides,
  };
}
