import { startFakeGateway, type FakeGateway } from '../../../../scripts/dev/fake-gateway.js';
import { HttpGatewayChannel } from './http-gateway.channel.js';
import { PermanentDeliveryError, UnroutedError } from './notification-channel.js';
import { GatewayRateLimits } from './rate-limiter.js';
import { testNotification } from '../testing/notifications.js';

describe('HttpGatewayChannel (against the loopback fake gateway)', () => {
  let gateway: FakeGateway;
  beforeAll(async () => {
    gateway = await startFakeGateway();
  });
  afterAll(() => gateway.close());

  const channel = (overrides: Partial<ConstructorParameters<typeof HttpGatewayChannel>[0]> = {}) =>
    new HttpGatewayChannel({
      name: 'sms',
      resolveUrl: () => `${gateway.url}/sms`,
      apiKey: 'k-123',
      rateLimits: new GatewayRateLimits(1000),
      timeoutMs: 2000,
      ...overrides,
    });

  it('posts the message with the notification id as Idempotency-Key and the API key as bearer token', async () => {
    const n = testNotification({ idempotencyKey: 'key-post' });
    const result = await channel().send(n);
    const [record] = gateway.requests({ idempotencyKey: 'key-post' });
    expect(record).toMatchObject({ path: '/sms', authorization: 'Bearer k-123', outcome: 'delivered' });
    expect(record!.body).toMatchObject({ id: 'key-post', to: '13812345678', text: n.body, waybillNo: 'SF1234567890', caseNo: 'PI-202611-0000001' });
    expect(result.providerRef).toMatch(/^fake-\d+$/);
  });

  it('a resend under the same key reaches the provider but not the person again', async () => {
    const n = testNotification({ idempotencyKey: 'key-twice' });
    await channel().send(n);
    await channel().send(n);
    expect(gateway.requests({ idempotencyKey: 'key-twice' })).toHaveLength(2);
    expect(gateway.delivered({ idempotencyKey: 'key-twice' })).toHaveLength(1);
  });

  it('lifts the D9 wrong-target flag of an alert to the top of the payload', async () => {
    await channel().send(testNotification({ idempotencyKey: 'key-d9', kind: 'OB_ALERT', vars: { wrongTarget: true, notifyBranch: 'SHB009' } }));
    expect(gateway.requests({ idempotencyKey: 'key-d9' })[0]!.body).toMatchObject({ wrongTarget: true, vars: { wrongTarget: true, notifyBranch: 'SHB009' } });
  });

  it('treats a 4xx as permanent, and masks the number a provider quotes back', async () => {
    gateway.failNext(1, { status: 400, body: 'invalid destination 13812345678', match: { idempotencyKey: 'key-400' } });
    const error = await channel().send(testNotification({ idempotencyKey: 'key-400' })).catch((e: Error) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toBe('sms: HTTP 400 invalid destination 138****5678');
  });

  it.each([503, 429, 408])('treats HTTP %i as transient (retried later)', async (status) => {
    gateway.failNext(1, { status, match: { idempotencyKey: `key-${status}` } });
    const error = await channel().send(testNotification({ idempotencyKey: `key-${status}` })).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toBe(`sms: HTTP ${status}`);
  });

  it('gives up waiting after the timeout, as a transient failure', async () => {
    const held = gateway.holdNext({ idempotencyKey: 'key-slow' });
    const error = await channel({ timeoutMs: 200 }).send(testNotification({ idempotencyKey: 'key-slow' })).catch((e: Error) => e);
    held.release();
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toBe('sms: no answer within 200 ms');
  });

  it('is UNROUTED when nothing is configured for the target', async () => {
    await expect(channel({ resolveUrl: () => null }).send(testNotification({ targetRole: 'OB', targetSite: 'SHB002' }))).rejects.toThrow(
      new UnroutedError('sms: no URL configured for OB@SHB002'),
    );
  });

  it('spaces requests to one gateway at its rate, shared by concurrent sends', async () => {
    const shared = new GatewayRateLimits(20); // 50 ms apart
    const sms = channel({ rateLimits: shared });
    const started = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map((i) => sms.send(testNotification({ idempotencyKey: `key-rate-${i}` }))));
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 50 - 5);
  });
});
