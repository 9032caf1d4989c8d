import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Consumer } from 'kafkajs';
import pg from 'pg';
import { notificationEventSchema, type NotificationEvent } from '#contracts';
import { notificationIdFor, type NotificationIntent, type PolicyInput } from '#domain';
import { maskContact, type NotificationIntentMessage } from '#persistence';
import { resetDatabase, TEST_DATABASE_URL } from '../support/database.js';
import { produce, testKafka } from '../support/kafka.js';
import { ROOT, eventually } from '../support/processes.js';
import { waybillNo } from '../support/events.js';

/** The notifier suites' own database (same server and user as the other e2e suites), so they never collide. */
export const NOTIFIER_DB = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = '/courier_test_notifier';
  return url.toString();
})();

export async function resetNotifierDatabase(): Promise<void> {
  await resetDatabase(NOTIFIER_DB);
}

export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: NOTIFIER_DB });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

// ------------------------------------------------------------------------------------------------ the network

/** People on the test waybills: what must never appear in a log line. */
export const RECIPIENT = { name: '王小明', mobile: '13812345678', address: '上海市浦东新区世纪大道100号', gender: 'M' as const };
export const SENDER = { name: '李华', mobile: '13900001111', address: '上海市闵行区莘庄镇莘松路8号' };
export const COURIER_PHONE = '13700002222';
export const COMPLAINANT_MOBILE = '13698765432';

/**
 * The default policy with the sites' systems reachable on the fake gateway (the OB SHB002 and the hub SHH01 have
 * webhooks; the DB SHB001 has none, so its alerts are stored for the live stream) and the given quiet hours
 * (none by default, so that a suite does not depend on the hour it runs at).
 */
export function writeTestPolicy(name: string, gatewayUrl: string, quietHours: { start: string; end: string } = { start: '00:00', end: '00:00' }): string {
  const policy = JSON.parse(readFileSync(resolve(ROOT, 'config/policy.default.json'), 'utf8')) as PolicyInput & { sites: Record<string, Record<string, unknown>> };
  policy.sites.SHB002 = { ...policy.sites.SHB002, webhookUrl: `${gatewayUrl}/branch/SHB002` };
  policy.sites.SHH01 = { ...policy.sites.SHH01, webhookUrl: `${gatewayUrl}/hub/SHH01` };
  policy.quietHours = quietHours;
  mkdirSync(resolve(ROOT, 'test-results'), { recursive: true });
  const file = resolve(ROOT, 'test-results', `policy-${name}-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(policy, null, 2));
  return file;
}

// ------------------------------------------------------------------------------------------- seeding, as ingest does

export interface SeededCase {
  caseId: string;
  caseNo: string;
  waybillNo: string;
}

let caseSerial = 0;

/**
 * A case as the decision transaction leaves it for the notifier: the problem_case row (case number, waybill) and
 * the waybill's state with its PICKUP people.
 */
export async function seedCase(caseClass: string, reasonCode: string): Promise<SeededCase> {
  const waybill = waybillNo('NT');
  const caseId = `${waybill}-${caseClass}-1`;
  caseSerial += 1;
  const caseNo = `PI-202611-${String(process.pid % 1000).padStart(3, '0')}${String(caseSerial).padStart(4, '0')}`;
  await sql(
    `INSERT INTO problem_case (case_id, case_no, waybill_no, case_class, reason_code, state, opened_at, origin_branch,
       delivering_branch, reported_by_site, detected_by, snapshot)
     VALUES ($1, $2, $3, $4, $5, 'NOTIFIED', now(), 'SHB002', 'SHB001', 'SHB001', 'REGISTRATION', '{}')`,
    [caseId, caseNo, waybill, caseClass, reasonCode],
  );
  const state = { waybillNo: waybill, pickup: { originBranch: 'SHB002', destinationBranch: 'SHB001', recipient: RECIPIENT, sender: SENDER } };
  await sql(`INSERT INTO waybill_state (waybill_no, state, version) VALUES ($1, $2, 1)`, [waybill, JSON.stringify(state)]);
  return { caseId, caseNo, waybillNo: waybill };
}

type IntentFields = Pick<NotificationIntent, 'kind' | 'channel' | 'targetRole'> & Partial<NotificationIntent> & { discriminator?: string | number };

/** A NotificationIntent as the engine issues it (deterministic id from case, kind, target and discriminator). */
export function intentFor(c: SeededCase, fields: IntentFields): NotificationIntent {
  const { discriminator = 1, ...rest } = fields;
  const targetSite = rest.targetSite ?? null;
  return {
    id: notificationIdFor(c.caseId, rest.kind, targetSite ?? rest.targetRole, discriminator),
    caseId: c.caseId,
    targetSite,
    recipient: null,
    templateKey: rest.kind,
    body: `[${c.caseId}] ${rest.kind} for ${rest.targetRole}`,
    vars: { waybillNo: c.waybillNo, caseId: c.caseId },
    eventTime: new Date().toISOString(),
    notBefore: null,
    attempt: null,
    alreadySent: false,
    ...rest,
  };
}

/** The notification rows exactly as DecisionRepository writes them from NotificationIntended effects. */
export async function seedNotifications(intents: NotificationIntent[]): Promise<void> {
  for (const n of intents) {
    await sql(
      `INSERT INTO notification (notification_id, case_id, kind, channel, target_role, target_site, recipient,
         recipient_masked, template_key, body, content_sha256, vars, event_time, not_before, already_sent, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        n.id,
        n.caseId,
        n.kind,
        n.channel,
        n.targetRole,
        n.targetSite,
        n.recipient,
        maskContact(n.recipient),
        n.templateKey,
        n.body,
        createHash('sha256').update(n.body).digest('hex'),
        JSON.stringify(n.vars),
        n.eventTime,
        n.notBefore,
        n.alreadySent,
        n.alreadySent ? 'RECORDED' : 'PENDING',
      ],
    );
  }
}

/** Publishes the intents the outbox relay would (`times` copies of each: a redelivery). */
export async function publishIntents(prefix: string, intents: NotificationIntent[], times = 1): Promise<void> {
  const messages = intents.flatMap((n) => {
    const intent: NotificationIntentMessage = { notificationId: n.id, caseId: n.caseId, kind: n.kind, notBefore: n.notBefore };
    return Array.from({ length: times }, () => ({ key: n.caseId, value: JSON.stringify(intent) }));
  });
  await produce(`${prefix}courier.notification-intent.v1`, messages);
}

// ------------------------------------------------------------------------------------------------ observing

export interface NotificationRowState {
  notification_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_ref: string | null;
  next_attempt_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  vars: Record<string, unknown>;
}

export async function rowOf(id: string): Promise<NotificationRowState> {
  const [row] = await sql<NotificationRowState>(`SELECT * FROM notification WHERE notification_id = $1`, [id]);
  if (!row) throw new Error(`no notification ${id}`);
  return row;
}

/** Waits until every row has left the deliverable states, and returns them by id. */
export async function settled(ids: string[], timeoutMs = 30_000): Promise<Map<string, NotificationRowState>> {
  return eventually(async () => {
    const rows = await sql<NotificationRowState>(`SELECT * FROM notification WHERE notification_id = ANY($1::text[])`, [ids]);
    if (rows.length !== ids.length || rows.some((r) => ['PENDING', 'HELD', 'SENDING'].includes(r.status))) return null;
    return new Map(rows.map((r) => [r.notification_id, r]));
  }, timeoutMs);
}

/** Collects `courier.notification.v1` from the start of the topic, each message checked against the contract. */
export async function collectNotificationEvents(prefix: string): Promise<{ events: NotificationEvent[]; stop: () => Promise<void> }> {
  const events: NotificationEvent[] = [];
  const consumer: Consumer = testKafka('notifier-e2e').consumer({ groupId: `${prefix}observer` });
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}courier.notification.v1`, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      events.push(notificationEventSchema.parse(JSON.parse(message.value!.toString('utf8'))));
    },
  });
  return { events, stop: () => consumer.disconnect() };
}

// ------------------------------------------------------------------------------------------------ log privacy

/**
 * Personal data found in a log text: any full mainland mobile number, and the names, numbers and addresses of the
 * test's people in any spelling a log could carry them. Returns what kind was found where (never the data).
 */
export function personalDataInLog(text: string): string[] {
  const findings: string[] = [];
  const lines = text.split('\n');
  const digitsOnly = (line: string) => line.replace(/(?<=\d)[\s-]+(?=\d)/g, '');
  const phones = [RECIPIENT.mobile, SENDER.mobile, COURIER_PHONE, COMPLAINANT_MOBILE];
  const names = [RECIPIENT.name, SENDER.name, RECIPIENT.name.slice(1)];
  const addresses = [RECIPIENT.address, SENDER.address, '世纪大道100号', '莘松路8号'];
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (/(?<!\d)1[3-9]\d{9}(?!\d)/.test(digitsOnly(line))) findings.push(`${where}: a mobile number`);
    if (phones.some((p) => digitsOnly(line).includes(p))) findings.push(`${where}: a test person's phone`);
    if (names.some((n) => line.includes(n))) findings.push(`${where}: a test person's name`);
    if (addresses.some((a) => line.includes(a))) findings.push(`${where}: an address`);
    if (/[A-Za-z0-9._%+-]{2,}@example\.com/.test(line)) findings.push(`${where}: an unmasked e-mail address`);
  });
  return findings;
}
