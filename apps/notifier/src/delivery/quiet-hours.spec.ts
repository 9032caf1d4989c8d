import { customerQuietHoursRelease } from './quiet-hours.js';

const policy = { quietHours: { start: '21:00', end: '08:00' }, timeZone: 'Asia/Shanghai' };
const at = (iso: string) => new Date(iso);

describe('customerQuietHoursRelease', () => {
  it('holds an SMS to a recipient sent at 22:30 local until 08:00 the next morning', () => {
    const release = customerQuietHoursRelease({ channel: 'SMS', targetRole: 'RECIPIENT' }, at('2026-11-23T22:30:00+08:00'), policy);
    expect(release?.toISOString()).toBe(new Date('2026-11-24T08:00:00+08:00').toISOString());
  });

  it('holds SMS to senders and complainants too, and lets them go in the day', () => {
    expect(customerQuietHoursRelease({ channel: 'SMS', targetRole: 'SENDER' }, at('2026-11-23T07:59:00+08:00'), policy)).not.toBeNull();
    expect(customerQuietHoursRelease({ channel: 'SMS', targetRole: 'CUSTOMER' }, at('2026-11-23T08:00:00+08:00'), policy)).toBeNull();
  });

  it('never holds staff alerts, staff SMS or e-mail', () => {
    const night = at('2026-11-23T23:00:00+08:00');
    expect(customerQuietHoursRelease({ channel: 'SMS', targetRole: 'COURIER' }, night, policy)).toBeNull();
    expect(customerQuietHoursRelease({ channel: 'EMAIL', targetRole: 'CUSTOMER' }, night, policy)).toBeNull();
    expect(customerQuietHoursRelease({ channel: 'BRANCH_ALERT', targetRole: 'OB' }, night, policy)).toBeNull();
  });

  it('holds nothing when the policy has no quiet hours (start = end)', () => {
    const none = { ...policy, quietHours: { start: '00:00', end: '00:00' } };
    expect(customerQuietHoursRelease({ channel: 'SMS', targetRole: 'RECIPIENT' }, at('2026-11-23T23:00:00+08:00'), none)).toBeNull();
  });
});
