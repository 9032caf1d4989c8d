import { Redis } from 'ioredis';
import { BullMqDeadlineScheduler } from '../../apps/deadlines/src/scheduler/bullmq-deadline-scheduler.js';
import { resetDatabase, query } from '../support/database.js';
import { uniquePrefix } from '../support/kafka.js';
import { call, seedCase, seedHistory, startApi, tokenFor, withDb, type RunningApi, type SeededCase } from './support.js';

/**
 * Staff API security against real PostgreSQL: authentication on every route, rules §6 scope (another site's case
 * is 403 or 404 and is never acted on), roles, SQL-injection-looking input, body size limit, pagination.
 */
describe('staff API: authentication, scope, input handling (real PostgreSQL)', () => {
  const prefix = uniquePrefix('apisec');
  /** This suite's own Redis database: the ops queue board reads the deadline timers there. */
  const redisUrl = 'redis://127.0.0.1:6379/7';
  let api: RunningApi;
  const tokens: Record<'ops' | 'hq' | 'shb001' | 'shb002' | 'hzb001' | 'hub', string> = {} as never;
  let own: SeededCase; // SHB001 is its delivering branch, SHB002 its origin
  let foreign: SeededCase; // HZB001's: SHB001 has nothing to do with it
  let foreignComplaint: SeededCase;
  let foreignLiability: string;
  let foreignEvidence: string;

  beforeAll(async () => {
    await resetDatabase();
    await withDb(async (client) => {
      own = await seedCase(client, { n: 1, originBranch: 'SHB002', deliveringBranch: 'SHB001' });
      foreign = await seedCase(client, { n: 2, originBranch: 'HZB002', deliveringBranch: 'HZB001' });
      foreignComplaint = await seedCase(client, {
        n: 3,
        caseClass: 'COMPLAINT',
        reasonCode: 'DELAY',
        originBranch: 'HZB002',
        deliveringBranch: 'HZB001',
      });
      await seedCase(client, { n: 4, originBranch: 'HZB002', deliveringBranch: 'HZB001', reportedBySite: 'SHH01' });
      await seedHistory(client, own, 'SHB001');
      ({ liabilityId: foreignLiability } = await seedHistory(client, foreign, 'HZB001'));
    });
    [tokens.ops, tokens.hq, tokens.shb001, tokens.shb002, tokens.hzb001, tokens.hub] = await Promise.all([
      tokenFor('ops-1', 'OPS'),
      tokenFor('hq-1', 'HQ'),
      tokenFor('branch-shb001', 'BRANCH_STAFF', 'SHB001'),
      tokenFor('branch-shb002', 'BRANCH_STAFF', 'SHB002'),
      tokenFor('branch-hzb001', 'BRANCH_STAFF', 'HZB001'),
      tokenFor('hub-shh01', 'HUB_STAFF', 'SHH01'),
    ]);
    api = await startApi({ TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix, REDIS_URL: redisUrl });
    const upload = await call<{ evidenceId: string }>(api, 'POST', `/api/cases/${foreign.caseNo}/evidence`, tokens.hzb001, {
      kind: 'PHOTO',
      contentBase64: Buffer.from('foreign photo').toString('base64'),
    });
    expect(upload.status).toBe(201);
    foreignEvidence = upload.body.evidenceId;
  }, 60_000);

  afterAll(async () => {
    await api?.close();
  }, 30_000);

  /** Every /api route the OpenAPI document lists, with a valid body, aimed at the foreign case. */
  const callsOnForeignCase = () => {
    const calledAt = new Date(Date.now() - 3_600_000).toISOString();
    const routes: Record<string, { path: string; body?: unknown }> = {
      'GET /api/me': { path: '/api/me' },
      'GET /api/ops/summary': { path: '/api/ops/summary' },
      'GET /api/cases': { path: `/api/cases?waybillNo=${foreign.waybillNo}` },
      'GET /api/cases/{caseRef}': { path: `/api/cases/${foreign.caseNo}` },
      'POST /api/cases/{caseRef}/reply': { path: `/api/cases/${foreign.caseNo}/reply`, body: { instruction: 'DELIVER' } },
      'POST /api/cases/{caseRef}/resolve': { path: `/api/cases/${foreign.caseNo}/resolve`, body: { reason: 'duplicate' } },
      'POST /api/cases/{caseRef}/phone-fallback': {
        path: `/api/cases/${foreign.caseNo}/phone-fallback`,
        body: { contactName: '李娜', phone: '13900001111', calledAt },
      },
      'POST /api/cases/{caseRef}/complaint/contact': { path: `/api/cases/${foreignComplaint.caseNo}/complaint/contact`, body: { note: 'called' } },
      'POST /api/cases/{caseRef}/complaint/response': { path: `/api/cases/${foreignComplaint.caseNo}/complaint/response`, body: { note: 'x' } },
      'POST /api/cases/{caseRef}/complaint/final-answer': {
        path: `/api/cases/${foreignComplaint.caseNo}/complaint/final-answer`,
        body: { note: 'x' },
      },
      'POST /api/cases/{caseRef}/evidence': {
        path: `/api/cases/${foreign.caseNo}/evidence`,
        body: { kind: 'PHOTO', contentBase64: Buffer.from('not yours').toString('base64') },
      },
      'GET /api/cases/{caseRef}/evidence/{evidenceId}': { path: `/api/cases/${foreign.caseNo}/evidence/${foreignEvidence}` },
      'POST /api/liabilities/{recordId}/review-request': { path: `/api/liabilities/${foreignLiability}/review-request`, body: { reason: 'x' } },
      'POST /api/liabilities/{recordId}/review': { path: `/api/liabilities/${foreignLiability}/review`, body: { outcome: 'CANCEL', reason: 'x' } },
      'GET /api/alerts/stream': { path: '/api/alerts/stream' },
      'GET /api/alerts/recent': { path: '/api/alerts/recent' },
      'POST /api/ops/queues/session': { path: '/api/ops/queues/session' },
      'DELETE /api/ops/queues/session': { path: '/api/ops/queues/session' },
    };
    return routes;
  };

  it('covers every /api route of the OpenAPI document (a new route must be added to these checks)', async () => {
    const docs = await call<{ paths: Record<string, Record<string, unknown>> }>(api, 'GET', '/docs-json', null);
    expect(docs.status).toBe(200);
    const documented = Object.entries(docs.body.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(Object.keys(callsOnForeignCase()).sort());
  });

  it('answers 401 on every /api route without a token, or with a bad, revoked or malformed one', async () => {
    const revoked = await tokenFor('revoked-user', 'OPS');
    await query(`UPDATE api_token SET revoked_at = now() WHERE token_sha256 = encode(sha256($1::bytea), 'hex')`, [revoked]);
    for (const [route, { path, body }] of Object.entries(callsOnForeignCase())) {
      const method = route.split(' ')[0]!;
      for (const token of [null, `cps_${'A'.repeat(43)}`, revoked, "' OR 1=1 --"]) {
        const response = await call(api, method, path, token, body);
        expect({ route, token, status: response.status }).toEqual({ route, token, status: 401 });
      }
      const anonymous = await call(api, method, path, null, body);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('reports Kafka, PostgreSQL and Redis on /health and the pipeline figures on /metrics', async () => {
    const health = await call<{ status: string; details: Record<string, { status: string }> }>(api, 'GET', '/health', null);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    for (const dependency of ['kafka', 'postgres', 'redis']) expect(health.body.details[dependency]?.status).toBe('up');

    const metrics = (await call<string>(api, 'GET', '/metrics', null)).body;
    for (const name of ['courier_consumer_lag', 'courier_events_per_second', 'courier_dlq_records', 'courier_missed_deadlines', 'courier_overdue_open_cases', 'courier_notifications']) {
      expect(metrics).toContain(`# TYPE ${name} gauge`);
    }
    // The seeded history: one missed D4 per seeded case with history, each with a sent customer SMS.
    expect(metrics).toMatch(/^courier_missed_deadlines\{rule="D4",status="MISSED",app="api"\} 2$/m);
    expect(metrics).toMatch(/^courier_notifications\{channel="SMS",status="SENT",app="api"\} 2$/m);
    expect(metrics).toMatch(/^courier_dlq_records\{app="api"\} 0$/m);
  });

  it('serves the BullMQ board of the deadline timers to ops only (401 / 403 otherwise), read-only', async () => {
    // Timers armed exactly as the deadlines app arms them, in this suite's Redis database.
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const scheduler = BullMqDeadlineScheduler.create(redis, () => Date.now());
    try {
      await redis.flushdb();
      const due = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
      expect(await scheduler.arm([{ deadlineId: 'WB0000000001-FAILED_DELIVERY-1-D5', dueAt: due(5) }, { deadlineId: 'WB0000000002-DAMAGE-1-S1', dueAt: due(2) }])).toBe(2);

      for (const path of ['/ops/queues/', '/ops/queues/api/queues']) {
        for (const token of [null, `cps_${'A'.repeat(43)}`]) {
          const response = await call(api, 'GET', path, token);
          expect({ path, token, status: response.status }).toEqual({ path, token, status: 401 });
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        }
        for (const token of [tokens.shb001, tokens.hub, tokens.hq]) {
          expect({ path, status: (await call(api, 'GET', path, token)).status }).toEqual({ path, status: 403 });
        }
      }
      const page = await call<string>(api, 'GET', '/ops/queues/', tokens.ops);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<base href="/ops/queues/"');

      type Board = { queues: { name: string; readOnlyMode: boolean; counts: Record<string, number>; jobs: { id: string }[] }[] };
      const board = await call<Board>(api, 'GET', '/ops/queues/api/queues?activeQueue=deadlines&status=delayed', tokens.ops);
      expect(board.status).toBe(200);
      expect(board.body.queues.map((q) => q.name)).toEqual(['deadlines']);
      const [queue] = board.body.queues;
      expect(queue!.readOnlyMode).toBe(true);
      expect(queue!.counts.delayed).toBe(2);
      expect(queue!.jobs.map((j) => j.id).sort()).toEqual(['WB0000000001-FAILED_DELIVERY-1-D5', 'WB0000000002-DAMAGE-1-S1']);

      // A browser gets there with the cookie the dashboard asks for: HttpOnly, SameSite=Strict, the board's path only.
      expect((await call(api, 'POST', '/api/ops/queues/session', tokens.hq)).status).toBe(403);
      const session = await call<{ url: string }>(api, 'POST', '/api/ops/queues/session', tokens.ops);
      expect(session.status).toBe(200);
      expect(session.body.url).toBe('/ops/queues/');
      const setCookie = session.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(setCookie).toMatch(/Path=\/ops\/queues/);
      const cookie = setCookie.split(';')[0]!;
      expect((await call(api, 'GET', '/ops/queues/api/queues', null, undefined, { Cookie: cookie })).status).toBe(200);
      const branchCookie = cookie.replace(/=.*/, `=${tokens.shb001}`);
      expect((await call(api, 'GET', '/ops/queues/api/queues', null, undefined, { Cookie: branchCookie })).status).toBe(403);
      const cleared = await call(api, 'DELETE', '/api/ops/queues/session', tokens.ops);
      expect(cleared.status).toBe(204);
      expect(cleared.headers.get('set-cookie')).toMatch(/Max-Age=0/);

      // Read-only: the timers belong to the deadlines app and its reconciler.
      for (const action of ['promote', 'pause', 'clean/delayed']) {
        expect({ action, status: (await call(api, 'PUT', `/ops/queues/api/queues/deadlines/${action}`, tokens.ops)).status }).toEqual({ action, status: 405 });
      }
      expect((await scheduler.counts()).delayed).toBe(2);
    } finally {
      await scheduler.close();
      redis.disconnect();
    }
  });

  it('keeps the public surface to the page shell, health, metrics and the OpenAPI document', async () => {
    for (const path of ['/', '/health', '/metrics', '/docs-json']) {
      expect({ path, status: (await call(api, 'GET', path, null)).status }).toEqual({ path, status: 200 });
    }
    const page = await call<string>(api, 'GET', '/', null);
    expect(page.body).toContain('Sign in');
    expect(page.body).not.toContain(foreign.waybillNo);
  });

  it("answers 403 or 404 on every route aimed at another branch's case, and acts on nothing", async () => {
    const written = `SELECT ((SELECT count(*) FROM case_evidence) + (SELECT count(*) FROM outbox))::int AS n`;
    const before = await query<{ n: number }>(written);
    for (const [route, { path, body }] of Object.entries(callsOnForeignCase())) {
      if (['GET /api/me', 'GET /api/alerts/stream', 'GET /api/alerts/recent', 'GET /api/cases', 'DELETE /api/ops/queues/session'].includes(route)) continue;
      const response = await call(api, route.split(' ')[0]!, path, tokens.shb001, body);
      expect({ route, refused: [403, 404].includes(response.status), status: response.status }).toMatchObject({ route, refused: true });
      // The answer must not reveal the case: no waybill number, no case data.
      expect(JSON.stringify(response.body)).not.toContain(foreign.waybillNo);
    }
    // The list does not show it either, whatever the filter.
    const list = await call<{ items: unknown[] }>(api, 'GET', `/api/cases?waybillNo=${foreign.waybillNo}`, tokens.shb001);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    const after = await query<{ n: number }>(written);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('lets every registering site see the case (rules §6), not only the first to register', async () => {
    // A missent item: the hub registered first, then the branch it reached by mistake (SHB003) registered too.
    await withDb((client) =>
      seedCase(client, { n: 5, caseClass: 'WRONG_ROUTING', reasonCode: 'MISSENT', originBranch: 'HZB002', deliveringBranch: 'HZB001', reportedBySite: 'SHH01', registeredBy: ['SHH01', 'SHB003'] }),
    );
    const rb = await tokenFor('branch-shb003', 'BRANCH_STAFF', 'SHB003');
    const seen = await call<{ items: { caseNo: string }[] }>(api, 'GET', '/api/cases', rb);
    expect(seen.body.items.map((c) => c.caseNo)).toEqual(['PI-202611-0000005']);
    expect((await call(api, 'GET', '/api/cases/PI-202611-0000005', rb)).status).toBe(200);
    expect((await call(api, 'GET', '/api/cases/PI-202611-0000005', tokens.shb001)).status).toBe(404);
    const bySite = await call<{ items: { caseNo: string }[] }>(api, 'GET', '/api/cases?site=SHB003', tokens.hq);
    expect(bySite.body.items.map((c) => c.caseNo)).toEqual(['PI-202611-0000005']);
    // The match can use its index (on a table this small the planner only does when told not to scan it).
    const plan = await withDb(async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const explained = await client.query(
        `EXPLAIN SELECT case_id FROM problem_case c WHERE jsonb_path_query_array(c.snapshot, '$.data.registrations[*].site') @> jsonb_build_array('SHB003'::text)`,
      );
      await client.query('ROLLBACK');
      return explained.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/problem_case_registering_sites/);
    await withDb((client) => client.query(`DELETE FROM problem_case WHERE case_no = 'PI-202611-0000005'`));
  });

  it('scopes branch staff to cases where their branch is OB, DB or registering site, hub staff to their hub, HQ and ops to all', async () => {
    const ids = async (token: string) =>
      (await call<{ items: { caseNo: string }[] }>(api, 'GET', '/api/cases?limit=200', token)).body.items.map((c) => c.caseNo).sort();
    expect(await ids(tokens.shb001)).toEqual([own.caseNo]); // DB
    expect(await ids(tokens.shb002)).toEqual([own.caseNo]); // OB
    expect(await ids(tokens.hzb001)).toEqual(['PI-202611-0000002', 'PI-202611-0000003', 'PI-202611-0000004']);
    expect(await ids(tokens.hub)).toEqual(['PI-202611-0000004']); // registered by the hub
    expect(await ids(tokens.ops)).toHaveLength(4);
    expect(await ids(tokens.hq)).toHaveLength(4);
    expect((await call(api, 'GET', `/api/cases/${own.caseNo}`, tokens.shb002)).status).toBe(200);
    expect((await call(api, 'GET', `/api/cases/${own.caseId}`, tokens.shb001)).status).toBe(200);
  });

  it('refuses roles that may not act (403), even on a case in scope', async () => {
    const cases = [
      { who: tokens.shb001, method: 'GET', path: '/api/ops/summary', body: undefined, why: 'branch staff: no network view' },
      { who: tokens.shb001, method: 'POST', path: `/api/cases/${own.caseNo}/reply`, body: { instruction: 'DELIVER' }, why: 'the DB is not the OB' },
      { who: tokens.shb001, method: 'POST', path: `/api/cases/${own.caseNo}/resolve`, body: { reason: 'x' }, why: 'resolve is HQ/ops' },
      { who: tokens.shb002, method: 'POST', path: `/api/cases/${own.caseNo}/phone-fallback`, why: 'only the DB records D8',
        body: { contactName: '李娜', phone: '13900001111', calledAt: new Date(Date.now() - 60_000).toISOString() } },
      { who: tokens.ops, method: 'POST', path: `/api/cases/${own.caseNo}/reply`, body: { instruction: 'DELIVER' }, why: 'ops do not instruct' },
      { who: tokens.ops, method: 'POST', path: `/api/liabilities/${foreignLiability}/review`, body: { outcome: 'UPHOLD', reason: 'x' }, why: 'HQ only' },
      { who: tokens.hub, method: 'POST', path: `/api/liabilities/${foreignLiability}/review-request`, body: { reason: 'x' }, why: 'HQ only' },
    ];
    for (const { who, method, path, body, why } of cases) {
      expect({ why, status: (await call(api, method, path, who, body)).status }).toEqual({ why, status: 403 });
    }
  });

  it('treats SQL-injection-looking filter values as data: 400 naming the field, or no match, and the tables intact', async () => {
    const total = await query<{ n: number }>(`SELECT count(*)::int AS n FROM problem_case`);
    const attempts: [string, string][] = [
      ['site', "SHB001' OR '1'='1"],
      ['class', "FAILED_DELIVERY' OR 1=1 --"],
      ['reason', 'NOBODY_HOME;DROP TABLE problem_case'],
      ['state', "OPEN') OR ('1'='1"],
      ['rule', "D4' UNION SELECT * FROM api_token --"],
      ['liableParty', "DB'--"],
      ['waybillNo', "x'; DROP TABLE problem_case; --"],
      ['openedFrom', "2026-01-01T00:00:00Z' OR '1'='1"],
      ['limit', '1; DELETE FROM problem_case'],
      ['overdue', "true' OR '1'='1"],
    ];
    for (const [field, value] of attempts) {
      const response = await call<{ errors: { field: string }[] }>(api, 'GET', `/api/cases?${field}=${encodeURIComponent(value)}`, tokens.shb001);
      expect({ field, status: response.status }).toEqual({ field, status: 400 });
      expect(response.body.errors.map((e) => e.field)).toContain(field);
    }
    // Values that pass validation reach SQL only as bound parameters: an injected quote is just a case id.
    const cursor = Buffer.from(JSON.stringify({ d: null, i: "' OR '1'='1' --" })).toString('base64url');
    const page = await call<{ items: { caseNo: string }[] }>(api, 'GET', `/api/cases?cursor=${cursor}`, tokens.shb001);
    expect(page.status).toBe(200);
    expect(page.body.items.every((c) => c.caseNo === own.caseNo)).toBe(true);
    for (const ref of ["x' OR '1'='1", `${foreign.caseNo}' OR '1'='1`, "1; DROP TABLE problem_case"]) {
      const response = await call(api, 'GET', `/api/cases/${encodeURIComponent(ref)}`, tokens.shb001);
      expect({ ref, status: response.status }).toEqual({ ref, status: 404 });
    }
    const unknown = await call<{ errors: { field: string }[] }>(api, 'GET', '/api/cases?sit=SHB001', tokens.shb001);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]!.field).toBe('sit');
    expect(await query<{ n: number }>(`SELECT count(*)::int AS n FROM problem_case`)).toEqual(total);
  });

  it('answers 413 to bodies over 64 KiB, 8 MiB for evidence (declared or chunked), and 400s that name the field to bad ones', async () => {
    const path = `/api/cases/${own.caseNo}/reply`;
    const big = JSON.stringify({ instruction: 'REDELIVER_NEW_ADDRESS', newAddress: 'x'.repeat(70 * 1024) });
    expect((await call(api, 'POST', path, tokens.shb002, big)).status).toBe(413);
    // Evidence uploads carry a file: up to 8 MiB of request. A photo of a megabyte is fine, more than 8 MiB is not.
    const evidencePath = `/api/cases/${own.caseNo}/evidence`;
    const photo = { kind: 'PHOTO', contentBase64: Buffer.alloc(1024 * 1024, 7).toString('base64'), mediaType: 'image/jpeg' };
    expect((await call<{ sizeBytes: number }>(api, 'POST', evidencePath, tokens.shb001, photo)).body).toMatchObject({ sizeBytes: 1024 * 1024 });
    const huge = await call<{ message: string }>(api, 'POST', evidencePath, tokens.shb001, { kind: 'PHOTO', contentBase64: Buffer.alloc(6.5 * 1024 * 1024).toString('base64') });
    expect(huge.status).toBe(413);
    expect(huge.body.message).toContain('8 MiB');
    const hugeChunked = await fetch(`${api.url}${evidencePath}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.shb001}`, 'Content-Type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(Buffer.from('{"kind":"PHOTO","contentBase64":"'));
          for (let i = 0; i < 9; i++) controller.enqueue(Buffer.alloc(1024 * 1024, 0x41));
          controller.enqueue(Buffer.from('"}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(hugeChunked.status).toBe(413);
    // The larger limit is the evidence upload's only: the same size elsewhere is refused.
    expect((await call(api, 'POST', `/api/cases/${own.caseNo}/resolve`, tokens.ops, { reason: 'x'.repeat(1024 * 1024) })).status).toBe(413);

    const chunks = [Buffer.from('{"instruction":"DELIVER","newAddress":"'), Buffer.alloc(80 * 1024, 0x61), Buffer.from('"}')];
    const chunked = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.shb002}`, 'Content-Type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);

    // Just under the limit: read, then refused for what it says.
    const underLimit = await call<{ errors: { field: string }[] }>(api, 'POST', path, tokens.shb002, {
      instruction: 'REDELIVER_NEW_ADDRESS',
      newAddress: 'x'.repeat(60 * 1024),
    });
    expect(underLimit.status).toBe(400);
    expect(underLimit.body.errors[0]!.field).toBe('newAddress');

    const bad = async (body: unknown, route = 'reply', token = tokens.shb002) =>
      (await call<{ message: string; errors: { field: string; message: string }[] }>(api, 'POST', `/api/cases/${own.caseNo}/${route}`, token, body)).body;
    expect((await bad({ instruction: 'FLY' })).errors).toEqual([{ field: 'instruction', message: expect.stringContaining('DELIVER') }]);
    expect((await bad({ instruction: 'REDELIVER_NEW_ADDRESS' })).errors[0]!.field).toBe('newAddress');
    expect((await bad({ instruction: 'DELIVER', urgent: true })).errors[0]!.field).toBe('urgent');
    expect((await bad('{"instruction": "DELIVER",')).errors[0]!.field).toBe('body');
    const d8 = await bad({ contactName: '李娜', phone: '13900001111' }, 'phone-fallback', tokens.shb001);
    expect(d8.errors).toEqual([{ field: 'calledAt', message: 'required' }]);
    expect(d8.message).toBe('calledAt: required');
    const future = await bad(
      { contactName: '李娜', phone: '13900001111', calledAt: new Date(Date.now() + 3_600_000).toISOString() },
      'phone-fallback',
      tokens.shb001,
    );
    expect(future.errors[0]!.field).toBe('calledAt');
    const noOffset = await bad({ contactName: '李娜', phone: '1390000', calledAt: '2026-11-20 09:00' }, 'phone-fallback', tokens.shb001);
    expect(noOffset.errors[0]).toEqual({ field: 'calledAt', message: 'timestamp must carry an offset' });
    expect((await bad({ reason: '   ' }, 'resolve', tokens.ops)).errors[0]!.field).toBe('reason');
  });

  it('pages through cases by due time with a cursor: no row twice, none skipped, stable under inserts', async () => {
    await withDb(async (client) => {
      // Ties on the due time and cases without any (listed last) are where keyset pagination usually breaks.
      for (let i = 0; i < 31; i++) {
        // Microsecond due times, and exact ties (i and i + 12 share one), ordered by case id.
        const due = i % 5 === 0 ? null : `2026-11-2${1 + (i % 3)}T0${i % 4}:00:00.${i % 2 ? '500001' : '250001'}Z`;
        await seedCase(client, { n: 100 + i, originBranch: 'SHB009', deliveringBranch: 'SHB008', nextDueAt: due });
      }
    });
    const token = await tokenFor('branch-shb009', 'BRANCH_STAFF', 'SHB009');
    const all = (await call<{ items: { caseId: string; nextDueAt: string | null }[] }>(api, 'GET', '/api/cases?limit=200', token)).body.items;
    expect(all).toHaveLength(31);
    const dues = all.map((c) => c.nextDueAt);
    const withDue = dues.filter((d): d is string => d !== null);
    expect(withDue).toEqual([...withDue].sort());
    expect(dues.slice(withDue.length).every((d) => d === null)).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { caseId: string }[]; nextCursor: string | null } = (
        await call<{ items: { caseId: string }[]; nextCursor: string | null }>(
          api,
          'GET',
          `/api/cases?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          token,
        )
      ).body;
      seen.push(...page.items.map((c) => c.caseId));
      cursor = page.nextCursor;
      pages += 1;
      if (pages === 3) {
        // A case that sorts before the current position appears on no later page and displaces nothing.
        await withDb((client) => seedCase(client, { n: 200, originBranch: 'SHB009', nextDueAt: '2026-11-01T00:00:00Z' }));
      }
    } while (cursor);
    expect(pages).toBe(8);
    expect(seen).toEqual(all.map((c) => c.caseId));

    const broken = await call<{ errors: { field: string }[] }>(api, 'GET', '/api/cases?cursor=not-a-cursor', token);
    expect(broken.status).toBe(400);
    expect(broken.body.errors[0]!.field).toBe('cursor');
  });

  it('filters by class, reason, state, open, overdue, rule, site, liable party and time range', async () => {
    await withDb(async (client) => {
      await seedCase(client, {
        n: 300,
        caseClass: 'DAMAGE',
        reasonCode: 'DAMAGED',
        originBranch: 'SHB020',
        deliveringBranch: 'SHB021',
        reportedBySite: 'SHH01',
        openedAt: '2026-11-22T02:00:00Z',
        overdue: [{ rule: 'D2', party: 'HUB', siteCode: 'SHH01' }],
      });
      await seedCase(client, { n: 301, originBranch: 'SHB020', deliveringBranch: 'SHB021', state: 'CLOSED', openedAt: '2026-11-10T02:00:00Z' });
    });
    const found = async (filters: string) =>
      (await call<{ items: { caseNo: string }[] }>(api, 'GET', `/api/cases?site=SHB020&${filters}`, tokens.hq)).body.items.map((c) => c.caseNo);
    const damage = 'PI-202611-0000300';
    const closed = 'PI-202611-0000301';
    expect(await found('class=DAMAGE')).toEqual([damage]);
    expect(await found('class=DAMAGE,FAILED_DELIVERY')).toEqual([damage, closed]);
    expect(await found('reason=NOBODY_HOME')).toEqual([closed]);
    expect(await found('state=CLOSED')).toEqual([closed]);
    expect(await found('open=true')).toEqual([damage]);
    expect(await found('open=false')).toEqual([closed]);
    expect(await found('overdue=true&rule=D2')).toEqual([damage]);
    expect(await found('overdue=true&rule=D4')).toEqual([]);
    expect(await found('overdue=false')).toEqual([closed]);
    expect(await found('liableParty=HUB')).toEqual([damage]);
    expect(await found('liableParty=DB')).toEqual([]);
    expect(await found('openedFrom=2026-11-21T00:00:00%2B08:00')).toEqual([damage]);
    expect(await found('openedTo=2026-11-21T00:00:00%2B08:00')).toEqual([closed]);
    expect((await call<{ items: unknown[] }>(api, 'GET', '/api/cases?rule=D4', tokens.hq)).body.items).toHaveLength(2);
  });
});
