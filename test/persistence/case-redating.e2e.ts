import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { parseInputMessage } from '#contracts';
import { decide, loadPolicy, type Effect, type WaybillState } from '#domain';
import { dataSourceOptions, DecisionRepository } from '#persistence';
import { query, resetDatabase } from '../support/database.js';
import { localTime, pickup, scan, waybillNo } from '../support/events.js';

// Shares the fuzz test's database (tests run one file at a time).
const DB = process.env.FUZZ_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/courier_test_fuzz';

/**
 * The engine may re-date a case: a scan consumed after the registration (another topic) shows the problem was
 * detected earlier (rules §2.1). The problem_case row must follow the case, not keep its first opening (found by the
 * bad-input fuzz test, whose fuzzed and valid-only runs interleaved the topics differently).
 */
describe('problem_case row of a re-dated case', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    await resetDatabase(DB);
    dataSource = await new DataSource(dataSourceOptions(DB, 2)).initialize();
  });
  afterAll(() => dataSource?.destroy());

  it('takes the opening time and detection of the latest decision', async () => {
    const policy = loadPolicy(JSON.parse(readFileSync('config/policy.default.json', 'utf8')));
    const waybill = waybillNo('REDATE');
    let state: WaybillState | null = null;
    const apply = (kind: 'scan', event: object): Effect[] => {
      const parsed = parseInputMessage({ kind, key: waybill, value: JSON.stringify(event), now: new Date() });
      if (!parsed.ok) throw new Error(parsed.reason);
      const decision = decide(state, { kind: 'event', event: parsed.event }, policy);
      state = decision.state;
      return decision.effects;
    };
    const persist = (effects: Effect[]) =>
      dataSource.transaction(async (manager) => {
        await DecisionRepository.lockStates(manager, [waybill], policy);
        await DecisionRepository.persist(manager, { states: [state!], effects, outbox: [] });
      });

    apply('scan', pickup(waybill, localTime(1, '09:00')));
    await persist(apply('scan', scan(waybill, 'DELIVERY_FAILED', localTime(1, '15:00'), 'SHB001', { reasonCode: 'NOBODY_HOME', attempt: 1 })));
    const opened = state!.cases[0]!;

    // The same case, re-dated by a later decision (an hour earlier, detected by another source).
    const redated = { ...opened, openedAt: new Date(Date.parse(opened.openedAt) - 3_600_000).toISOString(), detectedBy: 'REGISTRATION' as const };
    state = { ...state!, version: state!.version + 1, cases: [redated] };
    await persist([{ type: 'CaseChanged', caseId: opened.id, from: opened.state, to: opened.state }]);

    const [row] = await query<{ opened_at: Date; detected_by: string }>(`SELECT opened_at, detected_by FROM problem_case WHERE case_id = $1`, [opened.id], DB);
    expect({ openedAt: row!.opened_at.toISOString(), detectedBy: row!.detected_by }).toEqual({ openedAt: redated.openedAt, detectedBy: 'REGISTRATION' });
  });
});
