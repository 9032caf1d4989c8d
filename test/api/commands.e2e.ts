import { createHash } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { parseInputMessage, type InputKind } from '#contracts';
import { hqReviewMessageSchema, toEngineInput } from '../../apps/api/src/liability/hq-review.contract.js';
import { query, resetDatabase } from '../support/database.js';
import { produce, testKafka, uniquePrefix } from '../support/kafka.js';
import { eventually } from '../support/processes.js';
import { alertsReady, call, openAlertStream, seedCase, seedHistory, startApi, tokenFor, withDb, type RunningApi, type SeededCase } from './support.js';

/** Publishing and reading back through the broker (the mock cluster's group joins take seconds). */
const KAFKA_TIMEOUT_MS = 30_000;

interface Published {
  topic: string;
  key: string;
  value: Record<string, unknown>;
}

/**
 * Staff commands go through the stream: each is published to its input topic as an event that the ingest
 * service's own parser accepts (same engine, same event-time rules). Evidence is stored immutably, case detail
 * masks personal data, and live alerts reach only the users whose scope they are in.
 */
describe('staff API: commands, evidence and live alerts (real PostgreSQL and Kafka)', () => {
  const prefix = uniquePrefix('apicmd');
  const topic = (name: string) => `${prefix}courier.${name}.v1`;
  let api: RunningApi;
  let consumer: Consumer;
  const published: Published[] = [];
  const tokens: Record<'ops' | 'hq' | 'ob' | 'db' | 'other', string> = {} as never;
  let failed: SeededCase;
  let complaint: SeededCase;
  let closed: SeededCase;
  let liabilityId: string;

  /** The message with this eventId once it has arrived on the topic. */
  const arrived = (eventId: string) => eventually(async () => published.find((m) => m.value.eventId === eventId), 20_000);

  beforeAll(async () => {
    await resetDatabase();
    await withDb(async (client) => {
      failed = await seedCase(client, { n: 11, originBranch: 'SHB002', deliveringBranch: 'SHB001' });
      complaint = await seedCase(client, { n: 12, caseClass: 'COMPLAINT', reasonCode: 'DELAY', originBranch: 'SHB002', deliveringBranch: 'SHB001' });
      closed = await seedCase(client, { n: 13, originBranch: 'SHB002', deliveringBranch: 'SHB001', state: 'CLOSED', nextDueAt: null });
      ({ liabilityId } = await seedHistory(client, failed, 'SHB001'));
    });
    [tokens.ops, tokens.hq, tokens.ob, tokens.db, tokens.other] = await Promise.all([
      tokenFor('ops-2', 'OPS'),
      tokenFor('hq-2', 'HQ'),
      tokenFor('ob-shb002', 'BRANCH_STAFF', 'SHB002'),
      tokenFor('db-shb001', 'BRANCH_STAFF', 'SHB001'),
      tokenFor('other-hzb001', 'BRANCH_STAFF', 'HZB001'),
    ]);
    // Create the topics first, so the test consumer sees every partition from the start.
    await produce(topic('reply'), [{ key: 'warmup', value: '{}' }]);
    await produce(topic('action'), [{ key: 'warmup', value: '{}' }]);
    await produce(topic('exception'), [{ key: 'warmup', value: '{}' }]);
    await produce(topic('hq-review'), [{ key: 'warmup', value: '{}' }]);
    consumer = testKafka('api-commands-test').consumer({ groupId: `${prefix}.test-reader`, maxWaitTimeInMs: 100 });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.connect();
    await consumer.subscribe({ topics: ['reply', 'action', 'exception', 'hq-review'].map(topic), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: from, message }) => {
        const value = JSON.parse(message.value!.toString('utf8')) as Record<string, unknown>;
        if (value.eventId) published.push({ topic: from, key: message.key!.toString('utf8'), value });
      },
    });
    api = await startApi({ TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix });
    await joined;
  }, 90_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await api?.close();
  }, 30_000);

  /** What the ingest service would make of the message: the API must never publish what ingest rejects. */
  const ingestParse = (kind: InputKind, message: Published) =>
    parseInputMessage({ kind, key: message.key, value: JSON.stringify(message.value), now: new Date() });

  it('publishes the origin branch’s reply to courier.reply.v1, keyed by waybill, as ingest accepts it', async () => {
    const response = await call<{ eventId: string; topic: string }>(api, 'POST', `/api/cases/${failed.caseNo}/reply`, tokens.ob, {
      instruction: 'REDELIVER_NEW_ADDRESS',
      newAddress: '上海市浦东新区张江路1号',
    });
    expect(response.status).toBe(202);
    expect(response.body.topic).toBe(topic('reply'));
    const message = await arrived(response.body.eventId);
    expect(message.key).toBe(failed.waybillNo);
    const parsed = ingestParse('reply', message);
    expect(parsed).toMatchObject({
      ok: true,
      event: {
        kind: 'reply',
        waybillNo: failed.waybillNo,
        siteCode: 'SHB002',
        siteType: 'BRANCH',
        caseRef: { caseNo: failed.caseNo },
        instruction: 'REDELIVER_NEW_ADDRESS',
        repliedBy: 'ob-shb002',
      },
    });
    expect(message.value.occurredAt).toMatch(/\+08:00$/);
  }, KAFKA_TIMEOUT_MS);

  it('lets HQ reply for the origin branch (rule D5) with siteType HQ', async () => {
    const response = await call<{ eventId: string }>(api, 'POST', `/api/cases/${failed.caseId}/reply`, tokens.hq, { instruction: 'RETURN' });
    expect(response.status).toBe(202);
    expect(ingestParse('reply', await arrived(response.body.eventId))).toMatchObject({ ok: true, event: { siteType: 'HQ', siteCode: 'HQ' } });
  }, KAFKA_TIMEOUT_MS);

  it('publishes a resolve with its reason as a RESOLVE action', async () => {
    const response = await call<{ eventId: string }>(api, 'POST', `/api/cases/${failed.caseNo}/resolve`, tokens.ops, { reason: 'parcel found at the hub' });
    expect(response.status).toBe(202);
    expect(ingestParse('action', await arrived(response.body.eventId))).toMatchObject({
      ok: true,
      event: { action: 'RESOLVE', note: 'parcel found at the hub', actor: 'ops-2', caseRef: { caseNo: failed.caseNo } },
    });
  }, KAFKA_TIMEOUT_MS);

  it('records a D8 phone fallback as a PHONE_FALLBACK registration by the delivering branch', async () => {
    const calledAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const response = await call<{ eventId: string }>(api, 'POST', `/api/cases/${failed.caseNo}/phone-fallback`, tokens.db, {
      contactName: '李娜',
      phone: '021-55550000',
      calledAt,
      notifyBranch: 'SHB002',
    });
    expect(response.status).toBe(202);
    const message = await arrived(response.body.eventId);
    expect(message.topic).toBe(topic('exception'));
    expect(ingestParse('exception', message)).toMatchObject({
      ok: true,
      event: {
        kind: 'exception',
        siteCode: 'SHB001',
        reasonCode: 'NOBODY_HOME',
        channel: 'PHONE_FALLBACK',
        phoneRecord: { contactName: '李娜', phone: '021-55550000', calledAt },
        notifyBranch: 'SHB002',
      },
    });
  }, KAFKA_TIMEOUT_MS);

  it('publishes complaint contact, response and final answer (C1–C3), and only on COMPLAINT cases', async () => {
    const steps = [
      ['contact', 'COMPLAINT_CONTACTED'],
      ['response', 'COMPLAINT_RESPONDED'],
      ['final-answer', 'COMPLAINT_ANSWERED'],
    ] as const;
    for (const [step, action] of steps) {
      const response = await call<{ eventId: string }>(api, 'POST', `/api/cases/${complaint.caseNo}/complaint/${step}`, tokens.db, { note: step });
      expect(response.status).toBe(202);
      expect(ingestParse('action', await arrived(response.body.eventId))).toMatchObject({ ok: true, event: { action, note: step, actor: 'db-shb001' } });
    }
    const wrongClass = await call(api, 'POST', `/api/cases/${failed.caseNo}/complaint/contact`, tokens.db, {});
    expect(wrongClass.status).toBe(409);
  }, KAFKA_TIMEOUT_MS);

  it('refuses commands on a closed case (409) and publishes nothing for it', async () => {
    const response = await call(api, 'POST', `/api/cases/${closed.caseNo}/reply`, tokens.ob, { instruction: 'DELIVER' });
    expect(response.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(published.filter((m) => m.key === closed.waybillNo)).toEqual([]);
  }, KAFKA_TIMEOUT_MS);

  it('publishes HQ review commands to courier.hq-review.v1 in the form the engine takes (HqReviewInput)', async () => {
    const opened = await call<{ eventId: string }>(api, 'POST', `/api/liabilities/${liabilityId}/review-request`, tokens.hq, { reason: 'DB disputes it' });
    expect(opened.status).toBe(202);
    const openMessage = hqReviewMessageSchema.parse((await arrived(opened.body.eventId)).value);
    expect(toEngineInput(openMessage)).toMatchObject({ kind: 'hqReviewOpened', caseId: failed.caseId, liabilityId, requestedBy: 'hq-2' });

    const review = await call<{ eventId: string }>(api, 'POST', `/api/liabilities/${liabilityId}/review`, tokens.hq, {
      outcome: 'REASSIGN',
      reassignTo: { party: 'OB', siteCode: 'SHB002' },
      reason: 'the OB gave a wrong phone number',
    });
    expect(review.status).toBe(202);
    const message = await arrived(review.body.eventId);
    expect(message.key).toBe(failed.waybillNo);
    expect(toEngineInput(hqReviewMessageSchema.parse(message.value))).toEqual({
      kind: 'hqReview',
      reviewId: review.body.eventId,
      caseId: failed.caseId,
      liabilityId,
      outcome: 'REASSIGN',
      reassignTo: { party: 'OB', siteCode: 'SHB002' },
      reviewer: 'hq-2',
      reason: 'the OB gave a wrong phone number',
      at: new Date(message.value.occurredAt as string).toISOString(),
    });

    const missingTarget = await call<{ errors: { field: string }[] }>(api, 'POST', `/api/liabilities/${liabilityId}/review`, tokens.hq, {
      outcome: 'REASSIGN',
      reason: 'x',
    });
    expect(missingTarget.status).toBe(400);
    expect(missingTarget.body.errors[0]!.field).toBe('reassignTo');
    expect((await call(api, 'POST', '/api/liabilities/no-such-record/review', tokens.hq, { outcome: 'UPHOLD', reason: 'x' })).status).toBe(404);
  }, KAFKA_TIMEOUT_MS);

  it('stores evidence with its SHA-256, immutably, and serves it back as a download', async () => {
    const content = Buffer.from('%PDF-1.4 a signed confirmation letter');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const path = `/api/cases/${failed.caseNo}/evidence`;
    const upload = await call<{ evidenceId: string; sha256: string; sizeBytes: number; duplicate: boolean }>(api, 'POST', path, tokens.db, {
      kind: 'LETTER',
      contentBase64: content.toString('base64'),
      sha256,
      mediaType: 'application/pdf',
      fileName: 'letter.pdf',
    });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ sha256, sizeBytes: content.length, duplicate: false });

    const again = await call<{ evidenceId: string; duplicate: boolean }>(api, 'POST', path, tokens.ob, { kind: 'LETTER', contentBase64: content.toString('base64') });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ evidenceId: upload.body.evidenceId, duplicate: true });

    const mismatch = await call<{ errors: { field: string }[] }>(api, 'POST', path, tokens.db, {
      kind: 'PHOTO',
      contentBase64: Buffer.from('other').toString('base64'),
      sha256,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0]!.field).toBe('sha256');

    const download = await fetch(`${api.url}${path}/${upload.body.evidenceId}`, { headers: { Authorization: `Bearer ${tokens.ob}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(content);
    expect(download.headers.get('x-content-sha256')).toBe(sha256);
    expect(download.headers.get('content-disposition')).toContain('attachment');

    await expect(query(`UPDATE case_evidence SET sha256 = $1 WHERE evidence_id = $2`, ['0'.repeat(64), upload.body.evidenceId])).rejects.toThrow(/append-only/);
    await expect(query(`DELETE FROM case_evidence WHERE evidence_id = $1`, [upload.body.evidenceId])).rejects.toThrow(/append-only/);
    const [stored] = await query<{ sha256: string }>(`SELECT sha256 FROM case_evidence WHERE evidence_id = $1`, [upload.body.evidenceId]);
    expect(stored!.sha256).toBe(sha256);
  }, KAFKA_TIMEOUT_MS);

  it('shows the case with timeline, deadlines, liability, notifications and evidence, personal data masked', async () => {
    const detail = await call<Record<string, any>>(api, 'GET', `/api/cases/${failed.caseNo}`, tokens.db);
    expect(detail.status).toBe(200);
    expect(detail.body.case).toMatchObject({ caseNo: failed.caseNo, deliveringBranch: 'SHB001' });
    expect(detail.body.timeline.map((t: { toState: string }) => t.toState)).toEqual(['OPEN', 'AWAITING_REPLY']);
    expect(detail.body.deadlines).toEqual([expect.objectContaining({ rule: 'D4', status: 'MISSED', party: 'DB', siteCode: 'SHB001' })]);
    expect(detail.body.liabilities).toEqual([expect.objectContaining({ recordId: liabilityId, kind: 'RECORD', rule: 'D4', party: 'DB' })]);
    expect(detail.body.notifications).toEqual([expect.objectContaining({ kind: 'CUSTOMER_SMS', recipientMasked: '138****5678' })]);
    expect(detail.body.evidence.registered).toEqual([expect.objectContaining({ kind: 'PHOTO', sha256: 'a'.repeat(64) })]);
    expect(detail.body.evidence.uploaded).toEqual([expect.objectContaining({ kind: 'LETTER', fileName: 'letter.pdf' })]);
    const text = JSON.stringify(detail.body);
    for (const personal of ['13812345678', '13700002222', '张伟明']) expect(text).not.toContain(personal);
    expect(detail.body.handling.registrations[0].phone).toEqual({ contactName: '张*', phone: '138****5678', calledAt: '2026-11-20T06:50:00.000Z' });
  }, KAFKA_TIMEOUT_MS);

  it('streams live alerts to each user within their scope only (SSE from courier.case.v1 and courier.notification.v1)', async () => {
    await alertsReady(api);
    const open = (token: string) => openAlertStream(api, token);
    const [dbStream, otherStream, opsStream] = await Promise.all([open(tokens.db), open(tokens.other), open(tokens.ops)]);
    await eventually(async () => [dbStream, otherStream, opsStream].every((s) => s.events.some((e) => e.type === 'ready')), 5_000);

    const caseMessage = (c: SeededCase, type: string, state: string, sites: { originBranch: string; deliveringBranch: string }) => ({
      key: c.waybillNo,
      value: JSON.stringify({ schemaVersion: 1, type, caseId: c.caseId, caseNo: c.caseNo, waybillNo: c.waybillNo, caseClass: 'FAILED_DELIVERY', reasonCode: 'NOBODY_HOME', state, ...sites, reportedBySite: sites.deliveringBranch, openedAt: '2026-11-20T07:00:00.000Z', flags: { overdue: [] } }),
    });
    const foreign: SeededCase = { caseId: 'WB0000000099-FAILED_DELIVERY-1', caseNo: 'PI-202611-0000099', waybillNo: 'WB0000000099' };
    const ours = { originBranch: 'SHB002', deliveringBranch: 'SHB001' };
    await produce(topic('case'), [
      caseMessage(failed, 'OPENED', 'AWAITING_REPLY', ours),
      caseMessage(foreign, 'OPENED', 'OPEN', { originBranch: 'HZB002', deliveringBranch: 'HZB001' }),
      caseMessage(failed, 'CHANGED', 'INSTRUCTED', ours),
      caseMessage(failed, 'CHANGED', 'INSTRUCTED', ours), // still instructed: no second "reply received"
      caseMessage(foreign, 'OVERDUE', 'NOTIFIED', { originBranch: 'HZB002', deliveringBranch: 'HZB001' }),
    ]);
    await produce(topic('notification'), [
      {
        key: foreign.caseId,
        value: JSON.stringify({ schemaVersion: 1, notificationId: 'n-1', caseId: foreign.caseId, caseNo: foreign.caseNo, waybillNo: foreign.waybillNo, kind: 'SITE_ALERT', channel: 'BRANCH_ALERT', targetRole: 'DB', targetSite: 'HZB001', recipientMasked: null, body: 'call the customer on 13812345678', eventTime: '2026-11-20T07:00:00.000Z', notBefore: null, sentAt: '2026-11-20T07:00:01.000Z', attempt: 1, status: 'SENT' }),
      },
      {
        key: failed.caseId,
        value: JSON.stringify({ schemaVersion: 1, notificationId: 'n-2', caseId: failed.caseId, caseNo: failed.caseNo, waybillNo: failed.waybillNo, kind: 'CUSTOMER_SMS', channel: 'SMS', targetRole: 'RECIPIENT', targetSite: null, recipientMasked: '138****5678', body: '王先生您好', eventTime: '2026-11-20T07:00:00.000Z', notBefore: null, sentAt: '2026-11-20T07:00:01.000Z', attempt: 1, status: 'SENT' }),
      },
    ]);

    const alertsOf = (stream: { events: { type: string; data: Record<string, unknown> }[] }) =>
      stream.events.filter((e) => e.type !== 'ready' && e.type !== 'ping').map((e) => `${e.type} ${String(e.data.caseNo)}`);
    await eventually(async () => alertsOf(opsStream).length >= 5, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // time for any alert that should not exist
    expect(alertsOf(dbStream)).toEqual([`case.opened ${failed.caseNo}`, `case.reply ${failed.caseNo}`]);
    expect(alertsOf(otherStream).sort()).toEqual([`case.opened ${foreign.caseNo}`, `case.overdue ${foreign.caseNo}`, `site.alert ${foreign.caseNo}`]);
    expect(alertsOf(opsStream).sort()).toEqual([
      `case.opened ${failed.caseNo}`,
      `case.opened ${foreign.caseNo}`,
      `case.overdue ${foreign.caseNo}`,
      `case.reply ${failed.caseNo}`,
      `site.alert ${foreign.caseNo}`,
    ]);
    const siteAlert = opsStream.events.find((e) => e.type === 'site.alert');
    expect(JSON.stringify(siteAlert ?? {})).not.toContain('13812345678');

    const recent = await call<{ caseNo: string }[]>(api, 'GET', '/api/alerts/recent', tokens.db);
    expect(recent.body.map((a) => a.caseNo)).toEqual([failed.caseNo, failed.caseNo]);
    for (const stream of [dbStream, otherStream, opsStream]) stream.close();
  }, KAFKA_TIMEOUT_MS);
});
