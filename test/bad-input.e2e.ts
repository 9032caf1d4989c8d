import { mkdirSync, writeFileSync } from 'node:fs';
import { CompressionTypes, Partitioners, type IHeaders } from 'kafkajs';
import { consumerLag } from '#messaging';
import { reasonCategory } from '#domain';
import { generateDay } from '../apps/simulator/src/generator.js';
import { Rng } from '../apps/simulator/src/prng.js';
import { query as queryDb, resetDatabase } from './support/database.js';
import { localTime, pickup, scan } from './support/events.js';
import { testKafka, uniquePrefix } from './support/kafka.js';
import { mutate, MUTATIONS, type BaseEvent, type FuzzCase, type Role } from './support/mutations.js';
import { eventually, freePort, startApp, stopApp, type RunningApp } from './support/processes.js';
import { snapshotDatabase } from './support/snapshot.js';

/*
 * Bad input through Kafka into the real ingest process (issue #9): 10 000 seeded mutations of valid simulator
 * events, each invalid by construction and of a named kind, interleaved with the valid events across the four
 * input topics and their partitions. Checked: the DLQ holds exactly the invalid messages, each with a readable
 * reason of its kind; no partition is stuck; and the valid events leave exactly the database that a run with
 * only the valid events leaves.
 */

const DB = process.env.FUZZ_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/courier_test_fuzz';
const SEED = 20_261_123;
const MUTATIONS_SENT = 10_000;
const ROLES: Role[] = ['scan', 'exception', 'reply', 'action'];
const FUZZ_ID = 'fuzz-id';

const query = <T>(sql: string, params: unknown[] = []) => queryDb<T>(sql, params, DB);

interface Outgoing {
  id: number;
  role: Role;
  key: string | Buffer | null;
  value: string | Buffer | null;
}

function ingestEnv(prefix: string, policyFile: string) {
  return { DATABASE_URL: DB, TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix, POLICY_FILE: policyFile, LOG_LEVEL: 'warn' };
}

async function produceAll(prefix: string, messages: readonly Outgoing[]): Promise<void> {
  const producer = testKafka('fuzz-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      const byTopic = new Map<string, { key: string | Buffer | null; value: string | Buffer | null; headers: IHeaders }[]>();
      for (const m of messages.slice(i, i + 500)) {
        const topic = `${prefix}courier.${m.role}.v1`;
        if (!byTopic.has(topic)) byTopic.set(topic, []);
        byTopic.get(topic)!.push({ key: m.key, value: m.value, headers: { [FUZZ_ID]: String(m.id) } });
      }
      // gzip: the mock cluster keeps only the newest 5 MiB per partition (see retained()).
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.GZIP,
        topicMessages: [...byTopic].map(([topic, batch]) => ({ topic, messages: batch })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Waits until the ingest group has committed every partition of the four input topics to its end. */
async function drained(prefix: string, timeoutMs: number): Promise<void> {
  const admin = testKafka('fuzz-lag').admin();
  await admin.connect();
  let last = '';
  try {
    await eventually(
      async () => {
        const lags = await consumerLag(admin, `${prefix}.ingest`, ROLES.map((role) => `${prefix}courier.${role}.v1`));
        last = lags.filter((p) => p.lag > 0).map((p) => `${p.topic}[${p.partition}] lag ${p.lag}`).join(', ');
        return lags.length === 16 && lags.every((p) => p.lag === 0);
      },
      timeoutMs,
      500,
    ).catch(() => {
      throw new Error(`partitions stuck or too slow after ${timeoutMs} ms: ${last}`);
    });
  } finally {
    await admin.disconnect();
  }
}

/** Fails when the broker dropped messages before they were read (the mock keeps only 5 MiB per partition). */
async function assertRetained(topics: string[]): Promise<void> {
  const admin = testKafka('fuzz-retention').admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const dropped = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.low) > 0);
      expect({ topic, dropped }).toEqual({ topic, dropped: [] });
    }
  } finally {
    await admin.disconnect();
  }
}

async function endOffsets(topic: string): Promise<number> {
  const admin = testKafka('fuzz-offsets').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** `topic|partition|offset` → fuzz id of every message on the four input topics, read back from the broker. */
async function readPositions(prefix: string, expected: number): Promise<Map<string, number>> {
  const consumer = testKafka('fuzz-reader').consumer({ groupId: `${prefix}reader`, maxWaitTimeInMs: 200 });
  const positions = new Map<string, number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: ROLES.map((role) => `${prefix}courier.${role}.v1`), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        positions.set(`${topic}|${partition}|${message.offset}`, Number(message.headers![FUZZ_ID]!.toString()));
      },
    });
    await eventually(async () => positions.size >= expected, 60_000, 200);
  } finally {
    await consumer.disconnect();
  }
  return positions;
}

/** Printable: no control characters, no unpaired surrogates (PostgreSQL and terminals both choke on them). */
const READABLE = /^[^\u0000-\u001f\u007f]+$/;
const UNPAIRED = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('bad input: 10 000 fuzzed mutations through Kafka into the ingest process', () => {
  const fuzzPrefix = uniquePrefix('fuzz');
  const validPrefix = uniquePrefix('fuzzref');
  const policyFile = 'test-results/fuzz-policy.json';
  let ingest: RunningApp | undefined;
  afterEach(() => stopApp(ingest), 30_000);

  it('rejects every mutation into the DLQ with its reason, applies every valid event, and leaves no partition behind', async () => {
    const day = generateDay({ seed: SEED, day: localTime(2, '00:00').slice(0, 10), events: 5_000, malformed: 0 });
    mkdirSync('test-results', { recursive: true });
    writeFileSync(policyFile, JSON.stringify(day.policyDocument));

    // A waybill whose events happened 400 days ago, delivered late: late events are legitimate (rules §3), so
    // they are applied with deadlines from their event time, not rejected (docs/RELIABILITY.md).
    const lateWaybill = 'LATE400DAYS0001';
    const branches = Object.entries(day.policyDocument.sites as Record<string, { type: string }>)
      .filter(([, site]) => site.type === 'BRANCH')
      .map(([code]) => code);
    const [origin, destination] = [branches[0]!, branches[1]!];
    const lateEvents = [
      pickup(lateWaybill, localTime(400, '09:00'), { siteCode: origin, originBranch: origin, destinationBranch: destination }),
      scan(lateWaybill, 'BRANCH_ARRIVAL', localTime(400, '16:00'), destination, { siteType: 'BRANCH' }),
      scan(lateWaybill, 'DELIVERY_FAILED', localTime(400, '17:00'), destination, { siteType: 'BRANCH', reasonCode: 'NOBODY_HOME', attempt: 1 }),
    ];

    const valid: Outgoing[] = [
      ...day.envelopes.map((e) => ({ role: e.topic.split('.')[1] as Role, key: e.key, value: JSON.stringify(e.value) })),
      ...lateEvents.map((event) => ({ role: 'scan' as Role, key: event.waybillNo, value: JSON.stringify(event) })),
    ].map((m, id) => ({ ...m, id }));
    const bases: BaseEvent[] = day.envelopes.map((e) => ({ role: e.topic.split('.')[1] as Role, key: e.key, event: e.value as Record<string, unknown> }));
    const cases: FuzzCase[] = mutate(bases, MUTATIONS_SENT, SEED, { now: new Date(), waybills: [...new Set(bases.map((b) => b.key))] });
    const invalid: (Outgoing & { fuzz: FuzzCase })[] = cases.map((c, i) => ({ id: valid.length + i, role: c.role, key: c.key, value: c.value, fuzz: c }));

    // Every named kind is exercised, and often enough to mean something.
    const perKind = new Map<string, number>();
    for (const c of cases) perKind.set(c.mutation, (perKind.get(c.mutation) ?? 0) + 1);
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(12);
    expect(Math.min(...MUTATIONS.map((m) => perKind.get(m.name) ?? 0))).toBeGreaterThanOrEqual(40);

    // Invalid messages at random places among the valid ones; the valid ones keep their order.
    const rng = new Rng(SEED).fork('interleave');
    const slots = valid.length + invalid.length;
    const invalidAt = new Set(rng.shuffle([...Array(slots).keys()]).slice(0, invalid.length));
    const stream: Outgoing[] = [];
    let v = 0;
    let x = 0;
    for (let slot = 0; slot < slots; slot++) stream.push(invalidAt.has(slot) ? invalid[x++]! : valid[v++]!);

    await Promise.all([produceAll(fuzzPrefix, stream), produceAll(validPrefix, valid)]);
    await assertRetained([fuzzPrefix, validPrefix].flatMap((prefix) => ROLES.map((role) => `${prefix}courier.${role}.v1`)));

    // --- The run with only the valid events: the reference.
    await resetDatabase(DB);
    ingest = await startApp('ingest', ingestEnv(validPrefix, policyFile), freePort());
    await drained(validPrefix, 120_000);
    await stopApp(ingest);
    const reference = await snapshotDatabase(DB);
    // Valid events the engine itself rejects (e.g. a reply naming no case) go to the DLQ in both runs.
    const engineRejected = reference.dlq_record!.length;
    const referencePositions = engineRejected > 0 ? await readPositions(validPrefix, valid.length) : new Map<string, number>();
    const rejectedByEngine = new Set(
      (await query<{ position: string }>(`SELECT topic || '|' || partition || '|' || "offset" AS position FROM dlq_record`)).map(
        (row) => referencePositions.get(row.position)!,
      ),
    );
    expect(rejectedByEngine.size).toBe(engineRejected);

    // --- The fuzzed run.
    await resetDatabase(DB);
    const started = Date.now();
    ingest = await startApp('ingest', ingestEnv(fuzzPrefix, policyFile), freePort());
    await drained(fuzzPrefix, 150_000);
    const drainSeconds = (Date.now() - started) / 1000;

    const dlqRows = await query<{ position: string; reason: string }>(
      `SELECT topic || '|' || partition || '|' || "offset" AS position, reason FROM dlq_record`,
    );
    expect(dlqRows.length).toBe(invalid.length + engineRejected);
    // The outbox relay published one courier.dlq.v1 message per DLQ row.
    await eventually(async () => (await endOffsets(`${fuzzPrefix}courier.dlq.v1`)) >= dlqRows.length, 30_000, 500);
    expect(await endOffsets(`${fuzzPrefix}courier.dlq.v1`)).toBe(dlqRows.length);
    await stopApp(ingest);

    const positions = await readPositions(fuzzPrefix, stream.length);
    const records = new Map(dlqRows.map((row) => [positions.get(row.position)!, row]));
    expect(records.size).toBe(invalid.length + engineRejected);
    expect([...records.keys()].filter((id) => id < valid.length && !rejectedByEngine.has(id))).toEqual([]);

    // Each mutation is in the DLQ with a readable reason of its kind.
    const wrong: string[] = [];
    const byKind: Record<string, Record<string, number>> = {};
    for (const message of invalid) {
      const record = records.get(message.id);
      const kind = message.fuzz.mutation;
      if (!record) {
        wrong.push(`${kind} #${message.id}: not in the DLQ`);
        continue;
      }
      const readable = record.reason.length > 0 && READABLE.test(record.reason) && !UNPAIRED.test(record.reason);
      if (!readable || !message.fuzz.reason.test(record.reason)) wrong.push(`${kind} #${message.id}: ${JSON.stringify(record.reason.slice(0, 200))}`);
      const category = reasonCategory(record.reason).replace(/\d+/g, 'N').slice(0, 120);
      byKind[kind] ??= {};
      byKind[kind][category] = (byKind[kind][category] ?? 0) + 1;
    }
    writeFileSync('test-results/fuzz-dlq-reasons.json', JSON.stringify({ sent: Object.fromEntries(perKind), drainSeconds, byKind }, null, 2));
    expect(wrong.slice(0, 20)).toEqual([]);

    // The fuzzed run applied exactly what the valid-only run applied: same waybills and events, cases,
    // deadlines, liability records and notifications.
    const fuzzed = await snapshotDatabase(DB);
    writeFileSync('test-results/fuzz-snapshots.json', JSON.stringify({ fuzzed, reference }, null, 1));
    for (const table of ['waybill_state', 'problem_case', 'cases_without_timeline', 'deadline', 'liability_record', 'notification']) {
      expect({ table, rows: fuzzed[table] }).toEqual({ table, rows: reference[table] });
    }
    // Every valid event is applied (in its waybill's seen events), unless the engine rejected it in both runs.
    const applied = new Set((fuzzed.waybill_state as { events: string[] }[]).flatMap((w) => w.events));
    const notApplied = valid.filter((m) => !applied.has((JSON.parse(String(m.value)) as { eventId: string }).eventId)).map((m) => m.id);
    expect(notApplied.filter((id) => !rejectedByEngine.has(id))).toEqual([]);

    // The late waybill: applied, its case opened and its deadline judged by event time (400 days ago).
    const late = await query<{ case_class: string; due_at: Date }>(
      `SELECT c.case_class, d.due_at FROM problem_case c JOIN deadline d ON d.case_id = c.case_id WHERE c.waybill_no = $1 AND d.rule = 'D4'`,
      [lateWaybill],
    );
    expect(late).toHaveLength(1);
    expect(late[0]!.case_class).toBe('FAILED_DELIVERY');
    expect(Date.now() - new Date(late[0]!.due_at).getTime()).toBeGreaterThan(398 * 86_400_000);
  }, 400_000);
});
