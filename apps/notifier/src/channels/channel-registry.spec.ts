import { notifierEnvSchema } from '#config';
import { policySchema } from '#domain';
import { startFakeGateway, type FakeGateway } from '../../../../scripts/dev/fake-gateway.js';
import { STORED } from './branch-alert.channel.js';
import { buildChannels } from './channel-registry.js';
import type { MailTransport } from './smtp-email.channel.js';
import { testNotification } from '../testing/notifications.js';

describe('buildChannels', () => {
  let gateway: FakeGateway;
  beforeAll(async () => {
    gateway = await startFakeGateway();
  });
  afterAll(() => gateway.close());

  const policy = () =>
    policySchema.parse({
      version: 'test',
      sites: {
        SHB001: { type: 'BRANCH' },
        SHB002: { type: 'BRANCH', webhookUrl: `${gateway.url}/branch/SHB002` },
      },
    });
  const env = (vars: Record<string, string> = {}) => notifierEnvSchema.parse({ SMS_GATEWAY_URL: `${gateway.url}/sms`, STAFF_WEBHOOK_URL: `${gateway.url}/staff`, ...vars });
  const mails: string[] = [];
  const transport: MailTransport = {
    sendMail: async (mail) => {
      mails.push(mail.to);
      return { messageId: mail.messageId };
    },
    close: () => undefined,
  };

  it('sends e-mail over SMTP when a transport is configured, through the staff relay otherwise', async () => {
    const email = testNotification({ idempotencyKey: 'reg-email', channel: 'EMAIL', targetRole: 'FINANCE', recipient: 'fin@example.com' });
    await buildChannels(env({ SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_FROM: 'a@b.test' }), policy(), transport).EMAIL!.send(email);
    expect(mails).toEqual(['fin@example.com']);
    expect(gateway.requests({ idempotencyKey: 'reg-email' })).toHaveLength(0);

    await buildChannels(env(), policy(), null).EMAIL!.send(email);
    expect(gateway.requests({ idempotencyKey: 'reg-email', path: '/staff' })).toHaveLength(1);
  });

  it('has no SMS or e-mail channel when neither is configured', () => {
    const channels = buildChannels(notifierEnvSchema.parse({}), policy(), null);
    expect(channels.SMS).toBeUndefined();
    expect(channels.EMAIL).toBeUndefined();
  });

  it("stores branch alerts, and pushes them to the site's webhook when the policy has one", async () => {
    const channels = buildChannels(env(), policy(), null);
    const alert = (site: string, key: string) => testNotification({ idempotencyKey: key, channel: 'BRANCH_ALERT', kind: 'OB_ALERT', targetRole: 'OB', targetSite: site, recipient: null });
    await expect(channels.BRANCH_ALERT!.send(alert('SHB001', 'reg-stored'))).resolves.toEqual({ providerRef: STORED });
    expect(gateway.requests({ idempotencyKey: 'reg-stored' })).toHaveLength(0);
    await channels.BRANCH_ALERT!.send(alert('SHB002', 'reg-pushed'));
    expect(gateway.requests({ idempotencyKey: 'reg-pushed', path: '/branch/SHB002' })).toHaveLength(1);
  });

  it('sends WEBHOOK notifications to the URL the engine resolved, else the site webhook, else the staff relay', async () => {
    const channels = buildChannels(env(), policy(), null);
    const hook = (key: string, recipient: string | null, site: string | null) =>
      testNotification({ idempotencyKey: key, channel: 'WEBHOOK', targetRole: 'HUB', targetSite: site, recipient });
    await channels.WEBHOOK!.send(hook('reg-hook-1', `${gateway.url}/ops`, null));
    await channels.WEBHOOK!.send(hook('reg-hook-2', null, 'SHB002'));
    await channels.WEBHOOK!.send(hook('reg-hook-3', null, 'SHB001'));
    expect(gateway.requests({ idempotencyKey: 'reg-hook-1' })[0]!.path).toBe('/ops');
    expect(gateway.requests({ idempotencyKey: 'reg-hook-2' })[0]!.path).toBe('/branch/SHB002');
    expect(gateway.requests({ idempotencyKey: 'reg-hook-3' })[0]!.path).toBe('/staff');
  });
});

describe('notifierEnvSchema', () => {
  it('requires SMTP_FROM with SMTP_URL, and a claim lease longer than two send timeouts', () => {
    const result = notifierEnvSchema.safeParse({ SMTP_URL: 'smtp://127.0.0.1:25', NOTIFY_SEND_TIMEOUT_MS: '5000', NOTIFY_CLAIM_LEASE_MS: '8000' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['NOTIFY_CLAIM_LEASE_MS', 'SMTP_FROM']);
  });

  it('refuses an SMTP URL of another scheme', () => {
    expect(notifierEnvSchema.safeParse({ SMTP_URL: 'http://mail', SMTP_FROM: 'a@b.test' }).success).toBe(false);
  });
});
