import { writeFileSync, mkdirSync } from 'node:fs';
import { generateDay } from '../apps/simulator/src/generator.js';
import { resetDatabase, query as queryDb, withClient } from './support/database.js';
import { produce, testKafka, uniquePrefix } from './support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from './support/processes.js';
import { localTime, message, pickup, registration, scan, waybillNo } from './support/events.js';
import { snapshotDatabase } from './support/snapshot.js';

const DB = 'postgres://postgres@127.0.0.1:5432/courier_test_ingest';

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

      const cases = async (waybill: string) =>
        query<{ case_class: string; reason_code: string; state: string; wrong_target: boolean }>(
          `SELECT case_class, reason_code, state, wrong_target FROM problem_case WHERE waybill_no = $1 ORDER BY case_class`,
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
        `SELECT waybill_no, json_array_length(state->'seenEventIds') AS events FROM waybill_state WHERE waybill_no = ANY($1)`,
        [[inOrder, shuffled]],
      );
      // Each waybill applied its six distinct events once: the duplicates were ignored.
      expect(versions.map((v) => v.events)).toEqual([6, 6]);
    }, 90_000);
  });

  describe('crash recovery', () => {
    const clean = uniquePrefix('clean');
    const crashed = uniquePrefix('crash');
    const cleanDb = 'postgres://postgres@127.0.0.1:5432/courier_test_ingest_clean';
    const policyFile = 'test-results/crash-policy.json';

    it('a consumer SIGKILLed mid-batch and restarted yields exactly the database of an uninterrupted run', async () => {
      const day = generateDay({ seed: 11, day: localTime(1, '00:00').slice(0, 10), events: 20_000 });
      mkdirSync('test-results', { recursive: true });
      writeFileSync(policyFile, JSON.stringify(day.policyDocument));
      await Promise.all([resetDatabase(DB), resetDatabase(cleanDb)]);
      for (const prefix of [clean, crashed]) {
        for (const role of ['scan', 'exception', 'reply', 'action']) {
          const messages = day.envelopes
            .filter((e) => e.topic.endsWith(`.${role}.v1`))
            .map((e) => ({ key: e.key, value: typeof e.value === 'string' ? e.value : JSON.stringify(e.value) }));
          for (let i = 0; i < messages.length; i += 5000) await produce(`${prefix}courier.${role}.v1`, messages.slice(i, i + 5000));
        }
      }
      const total = day.envelopes.length;
      const progress = (url: string) =>
        rowCount(`SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offset`, [], url);

      // Uninterrupted run.
      const reference = await startApp('ingest', ingestEnv(clean, cleanDb, policyFile), freePort());
      await eventually(async () => (await progress(cleanDb)) >= total, 240_000, 500);
      await stopApp(reference);

      // Interrupted run: killed with SIGKILL three times while it is working, then let finish.
      let kills = 0;
      while (kills < 3) {
        const app = await startApp('ingest', ingestEnv(crashed, DB, policyFile), freePort());
        const before = await progress(DB);
        await eventually(async () => (await progress(DB)) > before + 500 || (await progress(DB)) >= total, 120_000, 50);
        await sleep(30 + Math.floor(Math.random() * 150));
        app.process.kill('SIGKILL');
        await app.exited;
        kills += 1;
      }
      const last = await startApp('ingest', ingestEnv(crashed, DB, policyFile), freePort());
      await eventually(async () => (await progress(DB)) >= total, 240_000, 500);
      await stopApp(last);

      expect(await progress(DB)).toBe(total);
      const [a, b] = await Promise.all([snapshotDatabase(cleanDb), snapshotDatabase(DB)]);
      for (const table of Object.keys(a)) expect({ table, rows: b[table] }).toEqual({ table, rows: a[table] });
      expect(a.problem_case!.length).toBeGreaterThan(50);
    }, 600_000);
  });
});
