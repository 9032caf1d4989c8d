import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, type ApiRole } from '#persistence';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { configureApiApp } from '../../apps/api/src/api.setup.js';
import { AlertFeed } from '../../apps/api/src/alerts/alert-feed.js';
import { UsersService } from '../../apps/api/src/auth/users.service.js';
import { TEST_DATABASE_URL, withClient } from '../support/database.js';

export interface RunningApi {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * The API app in this process, configured exactly as main.ts does (body limits, OpenAPI), listening on a free
 * port. The environment is read when the module initialises, so `env` is applied to process.env first.
 */
export async function startApi(env: Record<string, string>): Promise<RunningApi> {
  Object.assign(process.env, { DATABASE_URL: TEST_DATABASE_URL, LOG_LEVEL: 'warn', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env });
  const app = await NestFactory.create(ApiModule, { logger: ['error'] });
  configureApiApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** Resolves once the app's alert consumer has joined its group (messages produced after that reach it). */
export function alertsReady(api: RunningApi): Promise<void> {
  return api.app.get(AlertFeed).ready;
}

/** Creates a user and returns a fresh bearer token for it (what the create-user command does). */
export async function tokenFor(name: string, role: ApiRole, siteCode: string | null = null): Promise<string> {
  const dataSource = new DataSource(dataSourceOptions(TEST_DATABASE_URL, 1));
  await dataSource.initialize();
  try {
    const users = new UsersService(dataSource);
    const { user } = await users.ensureUser({ name, role, siteCode });
    return (await users.issueToken(user.userId, { label: 'test' })).token;
  } finally {
    await dataSource.destroy();
  }
}

export interface SeededCase {
  caseId: string;
  caseNo: string;
  waybillNo: string;
}

export interface CaseSeed {
  n: number;
  caseClass?: string;
  reasonCode?: string;
  state?: string;
  originBranch?: string | null;
  deliveringBranch?: string | null;
  reportedBySite?: string | null;
  openedAt?: string;
  nextDueAt?: string | null;
  /** Liabilities in force, as the engine's flags keep them. */
  overdue?: { rule: string; party: string; siteCode: string | null }[];
  /** Sites of the case's registrations (default: one, by the delivering branch). */
  registeredBy?: string[];
}

/** Inserts a problem case as the ingest service would have written it (only the columns and snapshot parts the API reads). */
export async function seedCase(client: pg.Client, seed: CaseSeed): Promise<SeededCase> {
  const waybillNo = `WB${String(seed.n).padStart(10, '0')}`;
  const caseClass = seed.caseClass ?? 'FAILED_DELIVERY';
  const caseId = `${waybillNo}-${caseClass}-1`;
  const caseNo = `PI-202611-${String(seed.n).padStart(7, '0')}`;
  const overdue = seed.overdue ?? [];
  const snapshot = {
    id: caseId,
    caseNo,
    flags: { overdue, escalationLevel: 0, noReply: false, underHqReview: false, favourableToDb: false, wrongTarget: false },
    data: {
      registrations: (seed.registeredBy ?? [seed.deliveringBranch ?? 'SHB001']).map((site, i) => ({
        eventId: `reg-${seed.n}${i ? `-${i}` : ''}`,
        at: '2026-11-20T07:00:00.000Z',
        site,
        channel: 'PHONE_FALLBACK',
        phone: { contactName: '张伟明', phone: '13812345678', calledAt: '2026-11-20T06:50:00.000Z' },
        evidence: [{ kind: 'PHOTO', uri: 's3://evidence/photo.jpg', sha256: 'a'.repeat(64) }],
      })),
      replies: [],
      actions: [],
      attempts: [],
      missing: ['reply from the origin branch'],
    },
  };
  await client.query(
    `INSERT INTO problem_case (case_id, case_no, waybill_no, case_class, reason_code, state, opened_at, origin_branch,
       delivering_branch, reported_by_site, detected_by, overdue, overdue_rules, next_due_at, snapshot)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'SCAN', $11, $12, $13, $14)`,
    [
      caseId,
      caseNo,
      waybillNo,
      caseClass,
      seed.reasonCode ?? 'NOBODY_HOME',
      seed.state ?? 'AWAITING_REPLY',
      seed.openedAt ?? '2026-11-20T07:00:00Z',
      seed.originBranch === undefined ? 'SHB002' : seed.originBranch,
      seed.deliveringBranch === undefined ? 'SHB001' : seed.deliveringBranch,
      seed.reportedBySite === undefined ? (seed.deliveringBranch ?? 'SHB001') : seed.reportedBySite,
      overdue.length > 0,
      overdue.map((o) => o.rule),
      seed.nextDueAt === undefined ? '2026-11-21T07:00:00Z' : seed.nextDueAt,
      JSON.stringify(snapshot),
    ],
  );
  return { caseId, caseNo, waybillNo };
}

/** Timeline, a missed D4 deadline with the DB's liability record, and an SMS notification for a seeded case. */
export async function seedHistory(client: pg.Client, seeded: SeededCase, site = 'SHB001'): Promise<{ liabilityId: string }> {
  const { caseId, waybillNo } = seeded;
  await client.query(
    `INSERT INTO case_timeline (case_id, seq, at, from_state, to_state, actor, source_event_id, note)
     VALUES ($1, 0, '2026-11-20T07:00:00Z', NULL, 'OPEN', 'system', 'scan-1', NULL),
            ($1, 1, '2026-11-20T07:05:00Z', 'OPEN', 'AWAITING_REPLY', $2, 'reg-1', NULL)`,
    [caseId, site],
  );
  const deadlineId = `${caseId}-D4-a1`;
  await client.query(
    `INSERT INTO deadline (deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at, missed_at)
     VALUES ($1, $2, $3, 'D4', '2026-11-20T15:59:59.999Z', 'DB', $4, 'MISSED', '2026-11-20T07:00:00Z', '2026-11-20T16:00:30Z')`,
    [deadlineId, caseId, waybillNo, site],
  );
  const liabilityId = `${deadlineId}-RECORD`;
  await client.query(
    `INSERT INTO liability_record (record_id, kind, case_id, deadline_id, rule, party, site_code, due_at, minutes_late, recorded_at)
     VALUES ($1, 'RECORD', $2, $3, 'D4', 'DB', $4, '2026-11-20T15:59:59.999Z', 1, '2026-11-20T16:00:30Z')`,
    [liabilityId, caseId, deadlineId, site],
  );
  await client.query(
    `INSERT INTO notification (notification_id, case_id, kind, channel, target_role, target_site, recipient, recipient_masked,
       body, content_sha256, event_time, status)
     VALUES ($1, $2, 'CUSTOMER_SMS', 'SMS', 'RECIPIENT', NULL, '13812345678', '138****5678', $3, $4, '2026-11-20T07:00:00Z', 'SENT')`,
    [`${caseId}-CUSTOMER_SMS-RECIPIENT-1`, caseId, `王先生您好，快件${waybillNo}今日派送未成功，请联系快递员13700002222。`, 'b'.repeat(64)],
  );
  return { liabilityId };
}

export async function withDb<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(work, TEST_DATABASE_URL);
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON request to the API (`token` null: without Authorization). */
export async function call<T = Record<string, unknown>>(
  api: RunningApi,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (HTML page, file content): kept as text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export interface AlertStream {
  events: { type: string; data: Record<string, unknown> }[];
  close(): void;
}

/** Opens `GET /api/alerts/stream` as this user and collects the Server-Sent Events it receives. */
export async function openAlertStream(api: RunningApi, token: string): Promise<AlertStream> {
  const controller = new AbortController();
  const response = await fetch(`${api.url}/api/alerts/stream`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
  if (response.status !== 200 || !response.headers.get('content-type')?.includes('text/event-stream')) {
    throw new Error(`alert stream: HTTP ${response.status} ${response.headers.get('content-type')}`);
  }
  const events: AlertStream['events'] = [];
  void (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
          const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
          events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { events, close: () => controller.abort() };
}
