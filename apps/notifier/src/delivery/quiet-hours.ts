import { quietHoursRelease, type Policy } from '#domain';
import { isExternalAudience } from './audience.js';

/**
 * When a notification may go out, judged at send time: customer SMS (rules §6) wait out the quiet hours even when
 * the engine saw none at the event's time (a late event, a retry that drifted into the night). Returns the end of
 * the quiet window, or null to send now. Staff alerts and e-mail are never held.
 */
export function customerQuietHoursRelease(
  notification: { channel: string; targetRole: string },
  now: Date,
  policy: Pick<Policy, 'quietHours' | 'timeZone'>,
): Date | null {
  if (notification.channel !== 'SMS' || !isExternalAudience(notification.targetRole)) return null;
  return quietHoursRelease(now, policy.quietHours, policy.timeZone);
}
