import { DataSource } from 'typeorm';
import { decide, type WaybillState } from '#domain';
import { envSchema, readPolicyFile } from '#config';
import { dataSourceOptions, DecisionRepository } from '#persistence';
import { resetDatabase, query } from '../support/database.js';
import { localTime, pickup, registration, scan, waybillNo } from '../support/events.js';
import { FireDeadlineUseCase } from '../../apps/deadlines/src/usecases/fire-deadline/fire-deadline.usecase.js';
import { EngineFeed, type WireEvent } from './support/engine-feed.js';
import { at } from './support/scenarios.js';

const REFERENCE_URL = 'postgres://postgres@127.0.0.1:5432/courier_wt_deadlines_writes_ref';
const BULK_URL = 'postgres://postgres@127.0.0.1:5432/courier_wt_deadlines_writes_bulk';
const policy = readPolicyFile('config/policy.default.json');

/** Every row of the tables a judgement writes, without the columns stamped by the database clock. */
async function tables(url: string) {
  const rows = (sql: string) => query(sql, [], url);
  const outbox = await rows(`SELECT topic_role, message_key, payload FROM outbox ORDER BY id`);
  // Messages keep their order per key (what the relay and the consumers rely on), not across keys.
  const byKey = new Map<string, unknown[]>();
  for (const m of outbox) byKey.set(`${m.topic_role}/${m.message_key}`, [...(byKey.get(`${m.topic_role}/${m.message_key}`) ?? []), m.payload]);
  return {
    waybillStates: await rows(`SELECT waybill_no, state, version FROM waybill_state ORDER BY waybill_no`),
    cases: await rows(`SELECT * FROM problem_case ORDER BY case_id`).then((r) => r.map(({ updated_at: _, ...c }) => c)),
    timeline: await rows(`SELECT * FROM case_timeline ORDER BY case_id, seq`),
    deadlines: await rows(`SELECT * FROM deadline ORDER BY deadline_id`).then((r) => r.map(({ updated_at: _, ...d }) => d)),
    liabilities: await rows(`SELECT * FROM liability_record ORDER BY record_id`).then((r) => r.map(({ inserted_at: _, ...l }) => l)),
    notifications: await rows(`SELECT * FROM notification ORDER BY notification_id`).then((r) =>
      r.map(({ created_at: _c, updated_at: _u, next_attempt_at: _n, ...n }) => n),
    ),
    outboxByKey: Object.fromEntries([...byKey].sort(([a], [b]) => a.localeCompare(b))),
    caseNumbers: await rows(`SELECT * FROM case_number_counter ORDER BY month`),
  };
}

/** The deadline ids pending and due by `nowMs`, in due order. */
async function due(url: string, nowMs: number): Promise<{ deadline_id: string; case_id: string | null; waybill_no: string; due_at: Date }[]> {
  return query(
    `SELECT deadline_id, case_id, waybill_no, due_at FROM deadline WHERE status = 'PENDING' AND due_at <= $1 ORDER BY due_at, deadline_id`,
    [new Date(nowMs)],
    url,
  );
}

/**
 * The deadline service writes its judgements with its own bulk statements (JudgementRepository: one JSON document
 * per table, the cases' rows derived from the states written); every other decision goes through
 * DecisionRepository.persist. Both must leave the same rows. The same waybills are built in two databases; their
 * due timers are judged one at a time and written by DecisionRepository in one, swept by FireDeadlineUseCase in
 * the other; then every table is compared.
 */
describe('judgement writes', () => {
  it('leave the same rows as DecisionRepository.persist: misses, liabilities, alerts, the ladder, a case opened by a timer', async () => {
    const nowMs = Date.now();
    const firedAt = new Date(nowMs);
    // The events, built once (event ids are random) and fed to both databases.
    const failed = waybillNo('JWFAIL');
    const complained = waybillNo('JWCOMP');
    const dwelled = waybillNo('JWDWELL');
    const batches: [Parameters<EngineFeed['apply']>[0], WireEvent[]][] = [
      [
        'scan',
        [
          // D4: a failed delivery yesterday nobody registered (due yesterday; its ladder steps fall due after it).
          pickup(failed, localTime(2, '09:00')),
          scan(failed, 'BRANCH_ARRIVAL', localTime(1, '13:00'), 'SHB001'),
          scan(failed, 'OUT_FOR_DELIVERY', localTime(1, '14:00'), 'SHB001', { courierId: 'C001', courierPhone: '13700002222' }),
          scan(failed, 'DELIVERY_FAILED', localTime(1, '15:00'), 'SHB001', { reasonCode: 'NOBODY_HOME', attempt: 1 }),
          // DWELL: at the hub two days ago with no onward movement: the timer opens a HELD_AT_HUB case (a case number).
          pickup(dwelled, localTime(3, '08:00')),
          scan(dwelled, 'HUB_ARRIVAL', localTime(3, '10:00'), 'SHH01'),
          pickup(complained, at(nowMs - 14 * 3_600_000)),
        ],
      ],
      // C1: a complaint registered 13 h ago, nobody contacted the customer.
      ['exception', [registration(complained, 'DELAY', at(nowMs - 13 * 3_600_000), 'SHB001', { complaint: { customerName: '王小明', customerContact: '13812345678', channel: 'PHONE' } })]],
    ];
    for (const url of [REFERENCE_URL, BULK_URL]) {
      await resetDatabase(url);
      const feed = await EngineFeed.open(url);
      for (const [kind, events] of batches) await feed.apply(kind, ...events);
      await feed.close();
    }

    // Reference: what is due, judged in due order and written by DecisionRepository in one transaction, as ingest
    // writes a batch; again until nothing due is left. A sweep also judges what is due in one transaction, so when
    // two timers of one case are due together (a ladder's steps, at some hours of the day) each side publishes the
    // case once, in its state after both.
    const reference = new DataSource(dataSourceOptions(REFERENCE_URL, 2));
    await reference.initialize();
    for (let next = await due(REFERENCE_URL, nowMs); next.length > 0; next = await due(REFERENCE_URL, nowMs)) {
      await reference.transaction(async (manager) => {
        const states = await DecisionRepository.lockStates(manager, [...new Set(next.map((row) => row.waybill_no))], policy);
        const written = new Map<string, WaybillState>();
        const effects = [];
        for (const row of next) {
          const state = written.get(row.waybill_no) ?? states.get(row.waybill_no) ?? null;
          const input = { kind: 'timer' as const, deadlineId: row.deadline_id, caseId: row.case_id, dueAt: new Date(row.due_at).toISOString(), firedAt: firedAt.toISOString() };
          const decision = decide(state, input, policy);
          written.set(row.waybill_no, decision.state as WaybillState);
          effects.push(...decision.effects);
        }
        await DecisionRepository.persist(manager, { states: [...written.values()], effects });
      });
    }
    await reference.destroy();

    // The deadline service's way: sweeps until one claims nothing.
    const bulk = new DataSource(dataSourceOptions(BULK_URL, 2));
    await bulk.initialize();
    const env = envSchema.parse({ KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: BULK_URL, KAFKA_GROUP_PREFIX: 'writes', REDIS_URL: 'redis://127.0.0.1:6379/5' });
    const fire = new FireDeadlineUseCase(bulk, policy, { now: () => firedAt }, env);
    const outcomes: string[] = [];
    for (let sweep = await fire.sweep(100); sweep.outcomes.size > 0; sweep = await fire.sweep(100)) {
      outcomes.push(...[...sweep.outcomes].map(([id, o]) => `${id.split('-').slice(1).join('-')} ${o.kind}`));
    }
    await bulk.destroy();

    // What was exercised: misses with liabilities, a ladder step, a dwell timer opening a case.
    expect(outcomes).toEqual(
      expect.arrayContaining([
        'FAILED_DELIVERY-1-D4-a1 MISSED',
        'FAILED_DELIVERY-1-ESC1 MISSED',
        'COMPLAINT-1-C1 MISSED',
        expect.stringMatching(/^DWELL-v\d+ MISSED$/),
      ]),
    );
    const [expected, actual] = [await tables(REFERENCE_URL), await tables(BULK_URL)];
    expect(actual.liabilities.length).toBeGreaterThanOrEqual(2);
    expect(actual.cases).toContainEqual(expect.objectContaining({ detected_by: 'DWELL_TIMER', reason_code: 'HELD_AT_HUB', case_no: expect.stringMatching(/^PI-/) }));
    expect(actual).toEqual(expected);
  }, 120_000);
});
