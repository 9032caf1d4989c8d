import { writeFileSync, mkdirSync } from 'node:fs';
import pg from 'pg';
import { generateDay } from '../apps/simulator/src/generator.js';
import { resetDatabase, query as queryDb, withClient } from './support/database.js';
import { produce, testKafka, uniquePrefix } from './support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from './support/processes.js';
import { localTime, message, pickup, registration, scan, waybillNo } from './support/events.js';
import { APPLIED_EVENT_IDS, snapshotDatabase } from './support/snapshot.js';

const DB = 'postgres://postgres@127.0.0.1:5432/courier_test_ingest';
const INPUT_ROLES = ['scan', 'exception', 'reply', 'action'] as const;

function ingestEnv(prefix: string, databaseUrl = DB, policyFile = 'config/policy.default.json') {
  return {
    DATABASE_URL: databaseUrl,
    TOPIC_PREFIX: prefix,
    KAFKA_GROUP_PREFIX: prefix,
    POLICY_FILE: policyFile,
    LOG_LEVEL: 'warn',
  };
}

const query = <T>(sql: string, params: unknown[] = []) => queryDb<T>(sql, params, DB);

async function rowCount(sql: string, params: unknown[] = [], url = DB): Promise<number> {
  return withClient(async (c) => Number((await c.query(sql, params)).rows[0].n), url);
}

describe('ingest service through Kafka and PostgreSQL', () => {
  describe('bad input', () => {
    const prefix = uniquePrefix('bad');
    let ingest: RunningApp | undefined;
    beforeAll(async () => {
      await resetDatabase(DB);
      ingest = await startApp('ingest', ingestEnv(prefix), freePort());
    }, 60_000);
    afterAll(() => stopApp(ingest));

    it('sends every kind of bad input to the DLQ with its reason and keeps processing the partition', async () => {
      const key = waybillNo('BAD');
      const valid = pickup(key, localTime(1, '09:00'));
      const deep = JSON.stringify(JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)));
      const bad: { kind: string; value: string | Buffer; key?: string; reason: RegExp }[] = [
        { kind: 'invalid JSON', value: '{"eventId": "x",', reason: /invalid JSON/ },
        { kind: 'binary garbage', value: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x13]), reason: /UTF-8|invalid JSON/ },
        { kind: 'missing field', value: JSON.stringify({ ...valid, eventId: undefined }), reason: /eventId/ },
        { kind: 'wrong type', value: JSON.stringify({ ...valid, pieces: 'three' }), reason: /pieces/ },
        { kind: 'unknown reason code', value: JSON.stringify(scan(key, 'DELIVERY_FAILED', localTime(1, '15:00'), 'SHB001', { reasonCode: 'ALIENS', attempt: 1 })), reason: /reasonCode/ },
        { kind: 'negative attempt', value: JSON.stringify(scan(key, 'DELIVERY_FAILED', localTime(1, '15:00'), 'SHB001', { reasonCode: 'NOBODY_HOME', attempt: -1 })), reason: /attempt/ },
        { kind: 'key differs from waybillNo', value: JSON.stringify(pickup('OTHERWAYBILL01', localTime(1, '09:00'))), reason: /differs from waybillNo/ },
        { kind: 'payload over 256 KiB', value: JSON.stringify({ ...valid, description: 'x'.repeat(300 * 1024) }), reason: /256 KiB/ },
        { kind: 'far in the future', value: JSON.stringify({ ...valid, eventId: 'future-1', occurredAt: '2099-01-01T10:00:00+08:00' }), reason: /more than 7 days after/ },
        { kind: 'time without offset', value: JSON.stringify({ ...valid, eventId: 'nooffset-1', occurredAt: '2026-11-20T10:00:00' }), reason: /offset/ },
        { kind: 'unknown schema version', value: JSON.stringify({ ...valid, schemaVersion: 2 }), reason: /schemaVersion/ },
        { kind: 'deeply nested JSON', value: deep, reason: /deeper|nest/ },
        { kind: 'huge string', value: JSON.stringify({ ...valid, eventId: 'e'.repeat(5000) }), reason: /eventId/ },
        { kind: 'empty value', value: Buffer.alloc(0), reason: /empty|invalid JSON|UTF-8/ },
      ];
      // Same key, so one partition: the valid event after the bad ones must still be applied.
      await produce(`${prefix}courier.scan.v1`, [
        ...bad.map((b) => ({ key, value: b.value })),
        { key, value: JSON.stringify(valid) },
      ]);

      await eventually(() => rowCount(`SELECT count(*) AS n FROM waybill_state WHERE waybill_no = $1 AND state IS NOT NULL`, [key]), 30_000);
      const rows = await eventually(async () => {
        const found = await query<{ reason: string; offset: string }>(`SELECT reason, "offset" FROM dlq_record ORDER BY "offset"`);
        return found.length >= bad.length ? found : null;
      });
      expect(rows).toHaveLength(bad.length);
      rows.forEach((row, i) => expect({ kind: bad[i]!.kind, reason: row.reason }).toEqual({ kind: bad[i]!.kind, reason: expect.stringMatching(bad[i]!.reason) }));

      // The DLQ topic carries the original key, the value in base64, the position and the reason.
      const consumer = testKafka('dlq-reader').consumer({ groupId: `${prefix}dlq-reader` });
      await consumer.connect();
      await consumer.subscribe({ topic: `${prefix}courier.dlq.v1`, fromBeginning: true });
      const dlq: Record<string, unknown>[] = [];
      await consumer.run({ eachMessage: async ({ message: m }) => void dlq.push(JSON.parse(m.value!.toString())) });
      await eventually(async () => dlq.length >= bad.length, 30_000);
      await consumer.disconnect();
      expect(dlq).toHaveLength(bad.length);
      expect(dlq[0]).toMatchObject({ key, topic: `${prefix}courier.scan.v1`, reason: expect.stringMatching(/invalid JSON/) });
      expect(Buffer.from(String(dlq[0]!.valueBase64), 'base64').toString()).toBe('{"eventId": "x",');
    }, 90_000);
  });

  describe('ordering and duplicates', () => {
    const prefix = uniquePrefix('ord');
    let ingest: RunningApp | undefined;
    beforeAll(async () => {
      await resetDatabase(DB);
      ingest = await startApp('ingest', ingestEnv(prefix), freePort());
    }, 60_000);
    afterAll(() => stopApp(ingest));

    /** A damaged parcel registered by the DB, a failed delivery, and a registration that overtakes its scans. */
    function story(waybill: string) {
      return {
        scans: [
          pickup(waybill, localTime(2, '09:00')),
          scan(waybill, 'BRANCH_ARRIVAL', localTime(2, '13:00'), 'SHB001'),
          scan(waybill, 'OUT_FOR_DELIVERY', localTime(2, '14:00'), 'SHB001', { courierId: 'C9', courierPhone: '13700009999' }),
          scan(waybill, 'DELIVERY_FAILED', localTime(2, '15:00'), 'SHB001', { reasonCode: 'REFUSED', attempt: 1 }),
        ],
        exceptions: [
          registration(waybill, 'DAMAGED', localTime(2, '13:30'), 'SHB001', {
            evidence: [{ kind: 'PHOTO', uri: 's3://evidence/1.jpg', sha256: 'a'.repeat(64) }],
          }),
          registration(waybill, 'REFUSED', localTime(2, '15:20'), 'SHB001', { notifyBranch: 'SHB002' }),
        ],
      };
    }

    it('gives the same cases whatever the order across topics, and ignores duplicates', async () => {
      const inOrder = waybillNo('ORDA');
      const shuffled = waybillNo('ORDB');
      const a = story(inOrder);
      const b = story(shuffled);
      // A: scans first, then registrations. B: registrations first (they overtake their scans),
      // and every message sent twice.
      await produce(`${prefix}courier.scan.v1`, a.scans.map(message));
      await produce(`${prefix}courier.exception.v1`, a.exceptions.map(message));
      await produce(`${prefix}courier.exception.v1`, [...b.exceptions, ...b.exceptions].map(message));
      await sleep(500);
      await produce(`${prefix}courier.scan.v1`, [...b.scans, ...b.scans].map(message));

      // When and how each case opened too: a registration that overtakes its scan first opens the case by
      // registration; the scan, once it arrives, moves the opening to the scan (and the stored row must follow).
      const cases = async (waybill: string) =>
        query<{ case_class: string; reason_code: string; state: string; wrong_target: boolean; opened_at: Date; detected_by: string }>(
          `SELECT case_class, reason_code, state, wrong_target, opened_at, detected_by FROM problem_case WHERE waybill_no = $1 ORDER BY case_class`,
          [waybill],
        );
      const expected = await eventually(async () => {
        const rows = await cases(inOrder);
        return rows.length === 2 ? rows : null;
      });
      expect(expected.map((r) => r.case_class)).toEqual(['DAMAGE', 'FAILED_DELIVERY']);
      await eventually(async () => JSON.stringify(await cases(shuffled)) === JSON.stringify(expected), 30_000);

      const deadlines = async (waybill: string) =>
        (await query<{ rule: string; due_at: Date; status: string }>(
          `SELECT rule, due_at, status FROM deadline WHERE waybill_no = $1 ORDER BY rule, due_at`,
          [waybill],
        )).map((d) => `${d.rule} ${new Date(d.due_at).toISOString()} ${d.status}`);
      expect(await deadlines(shuffled)).toEqual(await deadlines(inOrder));
      const versions = await query<{ waybill_no: string; events: number }>(
        `SELECT waybill_no, cardinality(${APPLIED_EVENT_IDS}) AS events FROM waybill_state w WHERE waybill_no = ANY($1)`,
        [[inOrder, shuffled]],
      );
      // Each waybill applied its six distinct events once: the duplicates were ignored.
      expect(versions.map((v) => v.events)).toEqual([6, 6]);
    }, 90_000);
  });

  describe('crash recovery and consumer groups', () => {
    const clean = uniquePrefix('clean');
    const cleanDb = 'postgres://postgres@127.0.0.1:5432/courier_test_ingest_clean';
    const policyFile = 'test-results/crash-policy.json';
    const day = generateDay({ seed: 11, day: localTime(1, '00:00').slice(0, 10), events: 20_000 });
    const total = day.envelopes.length;
    const progress = (url: string) => rowCount(`SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offset`, [], url);

    /** Produces the day, or its k-th of n parts (each topic's messages cut in n in order: the parts make the day). */
    async function produceDay(prefix: string, part: { k: number; n: number } = { k: 1, n: 1 }): Promise<void> {
      for (const role of INPUT_ROLES) {
        const all = day.envelopes
          .filter((e) => e.topic.endsWith(`.${role}.v1`))
          .map((e) => ({ key: e.key, value: typeof e.value === 'string' ? e.value : JSON.stringify(e.value) }));
        const size = Math.ceil(all.length / part.n);
        const messages = all.slice((part.k - 1) * size, part.k * size);
        for (let i = 0; i < messages.length; i += 5000) await produce(`${prefix}courier.${role}.v1`, messages.slice(i, i + 5000));
      }
    }
    const started: RunningApp[] = [];
    const start = async (prefix: string, url: string) => {
      const app = await startApp('ingest', ingestEnv(prefix, url, policyFile), freePort());
      started.push(app);
      return app;
    };
    // A failed test must not leave its instances consuming.
    afterEach(async () => {
      await Promise.all(started.splice(0).map((app) => stopApp(app, 'SIGKILL')));
    });

    async function expectSameAsUninterrupted(url: string): Promise<void> {
      expect(await progress(url)).toBe(total);
      const [a, b] = await Promise.all([snapshotDatabase(cleanDb), snapshotDatabase(url)]);
      for (const table of Object.keys(a)) expect({ table, rows: b[table] }).toEqual({ table, rows: a[table] });
      expect(a.problem_case!.length).toBeGreaterThan(50);
    }

    // The uninterrupted reference run every interrupted run is compared with.
    beforeAll(async () => {
      mkdirSync('test-results', { recursive: true });
      writeFileSync(policyFile, JSON.stringify(day.policyDocument));
      await resetDatabase(cleanDb);
      await produceDay(clean);
      const reference = await startApp('ingest', ingestEnv(clean, cleanDb, policyFile), freePort());
      await eventually(async () => (await progress(cleanDb)) >= total, 240_000, 500);
      await stopApp(reference);
    }, 300_000);

    it('a consumer SIGKILLed mid-batch and restarted yields exactly the database of an uninterrupted run', async () => {
      const crashed = uniquePrefix('crash');
      await resetDatabase(DB);
      await produceDay(crashed);

      // Killed with SIGKILL three times while it is working, then let finish.
      let kills = 0;
      while (kills < 3) {
        const app = await start(crashed, DB);
        const before = await progress(DB);
        await eventually(async () => (await progress(DB)) > before + 500 || (await progress(DB)) >= total, 120_000, 50);
        await sleep(30 + Math.floor(Math.random() * 150));
        app.process.kill('SIGKILL');
        await app.exited;
        kills += 1;
      }
      const last = await start(crashed, DB);
      await eventually(async () => (await progress(DB)) >= total, 240_000, 500);
      await stopApp(last);
      await expectSameAsUninterrupted(DB);
    }, 600_000);

    it('two instances in one group split the partitions; joining and leaving while a batch is in flight changes nothing', async () => {
      const prefix = uniquePrefix('group');
      const groupDb = 'postgres://postgres@127.0.0.1:5432/courier_test_ingest_group';
      await resetDatabase(groupDb);
      const third = (k: number) => produceDay(prefix, { k, n: 3 });
      await third(1);
      // application_name tells the two members' PostgreSQL sessions apart.
      const a = await start(prefix, `${groupDb}?application_name=ingest-a`);
      await eventually(async () => (await progress(groupDb)) > 2000, 120_000, 50);

      // B joins while a batch of A is stopped inside its transaction: the group rebalances mid-batch (A can rejoin
      // only once that batch is over; its offsets may then be refused, and B redelivers what A already applied).
      let hold = await holdWaybillRows(groupDb);
      await eventually(() => waitingOnLock(groupDb, 'ingest-a'), 60_000, 20);
      const b = await start(prefix, `${groupDb}?application_name=ingest-b`);
      await sleep(3000); // B's consumer asks to join once its HTTP side is up; the group waits for A's batch
      expect(await waitingOnLock(groupDb, 'ingest-a')).toBe(true);
      await hold.release();
      await eventually(async () => (await assignedPartitions(b.port)) > 0, 120_000, 100);
      expect(await assignedPartitions(a.port)).toBeGreaterThan(0);

      // Both members consume the next part: B its share of the partitions, A the rest.
      await third(2);
      await eventually(async () => (await batchesHandled(b.port)) > 0, 120_000, 100);

      // A leaves (SIGTERM) while one of its batches waits inside its transaction: it finishes the batch, then exits.
      hold = await holdWaybillRows(groupDb);
      await third(3);
      await eventually(() => waitingOnLock(groupDb, 'ingest-a'), 60_000, 20);
      a.process.kill('SIGTERM');
      await sleep(1000);
      expect(a.process.exitCode).toBeNull(); // still finishing the batch it had started
      await hold.release();
      await expectGracefulExit(a);
      expect(await progress(groupDb)).toBeLessThan(total); // B took over what A left

      await eventually(async () => (await progress(groupDb)) >= total, 240_000, 500);
      await stopApp(b);
      await expectSameAsUninterrupted(groupDb);
    }, 600_000);

    it('on SIGTERM finishes the batch in flight, commits it to PostgreSQL and Kafka, and exits', async () => {
      const prefix = uniquePrefix('term');
      const termDb = 'postgres://postgres@127.0.0.1:5432/courier_test_ingest_term';
      await resetDatabase(termDb);
      await produceDay(prefix);
      const app = await start(prefix, `${termDb}?application_name=ingest-term`);
      await eventually(async () => (await progress(termDb)) > 2000, 120_000, 50);

      const hold = await holdWaybillRows(termDb);
      await eventually(() => waitingOnLock(termDb, 'ingest-term'), 60_000, 20);
      const before = await progress(termDb);
      app.process.kill('SIGTERM');
      await sleep(1000);
      expect(app.process.exitCode).toBeNull(); // waiting for its batch, not abandoning it
      await hold.release();
      await expectGracefulExit(app);

      // The batch that was waiting was committed, and Kafka's committed offsets are PostgreSQL's: a successor
      // resumes exactly where this member stopped.
      expect(await progress(termDb)).toBeGreaterThan(before);
      const stored = await queryDb<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset FROM consumer_offset`, [], termDb);
      const admin = testKafka('offsets').admin();
      await admin.connect();
      try {
        const committed = await admin.fetchOffsets({ groupId: `${prefix}.ingest`, topics: INPUT_ROLES.map((r) => `${prefix}courier.${r}.v1`) });
        const kafkaOffsets = committed.flatMap(({ topic, partitions }) =>
          partitions.filter((p) => Number(p.offset) >= 0).map((p) => `${topic}[${p.partition}]=${p.offset}`));
        expect(kafkaOffsets.sort()).toEqual(stored.map((r) => `${r.topic}[${r.partition}]=${r.next_offset}`).sort());
      } finally {
        await admin.disconnect();
      }
    }, 300_000);
  });
});

/** Nest closes the app on SIGTERM, then lets the signal end the process (exit status 143 in a shell). */
async function expectGracefulExit(app: RunningApp): Promise<void> {
  const code = await app.exited;
  expect({ code, signal: app.process.signalCode }).toEqual(code === 0 ? { code: 0, signal: null } : { code: null, signal: 'SIGTERM' });
}

/** Row locks on every waybill, held by the test: ingest batches stop inside their last statement until released. */
async function holdWaybillRows(url: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // In waybill order, as batches lock them; should PostgreSQL still pick this session to break a deadlock with a
  // batch, take the locks again.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM waybill_state ORDER BY waybill_no FOR UPDATE');
      break;
    } catch (error) {
      await client.query('ROLLBACK');
      if ((error as { code?: string }).code !== '40P01' || attempt === 5) throw error;
    }
  }
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Whether a session of the given application is waiting for a lock (a batch stopped mid-transaction). */
async function waitingOnLock(url: string, applicationName: string): Promise<boolean> {
  const n = await rowCount(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
    [applicationName],
    url,
  );
  return n > 0;
}

/** The sum of a metric's series on the instance's /metrics. */
async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

const batchesHandled = (port: number) => metricSum(port, 'courier_ingest_batch_size_count');
const assignedPartitions = (port: number) => metricSum(port, 'courier_consumer_assigned_partitions');
