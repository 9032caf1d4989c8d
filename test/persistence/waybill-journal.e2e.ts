import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { parseInputMessage } from '#contracts';
import { decide, loadPolicy, type EngineInput, type WaybillState } from '#domain';
import { dataSourceOptions, DecisionRepository } from '#persistence';
import { query, resetDatabase } from '../support/database.js';
import { localTime, pickup, scan, waybillNo } from '../support/events.js';

// Shares the fuzz test's database (tests run one file at a time).
const DB = process.env.FUZZ_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/courier_test_fuzz';
const policy = loadPolicy(JSON.parse(readFileSync('config/policy.default.json', 'utf8')));

function input(waybill: string, event: object): EngineInput {
  const parsed = parseInputMessage({ kind: 'scan', key: waybill, value: JSON.stringify(event), now: new Date() });
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'event', event: parsed.event };
}

/**
 * A waybill's scans that change no case go to waybill_journal; its snapshot row only moves its version. Whoever
 * reads the waybill next — optimistically, under a row lock, or after waiting for that lock — must get the state
 * the decisions produced.
 */
describe('waybill journal in PostgreSQL', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    await resetDatabase(DB);
    dataSource = await new DataSource(dataSourceOptions(DB, 4)).initialize();
  });
  afterAll(() => dataSource?.destroy());

  /** The waybill with its PICKUP as a snapshot, then `hubs` hub arrivals journaled one write each. */
  async function journaledWaybill(prefix: string, hubs: number): Promise<{ waybill: string; state: WaybillState; inputs: EngineInput[] }> {
    const waybill = waybillNo(prefix);
    const first = input(waybill, pickup(waybill, localTime(1, '08:00')));
    let state = decide(null, first, policy).state;
    await dataSource.transaction((manager) =>
      DecisionRepository.persist(manager, { states: [state], effects: [], baseVersions: new Map([[waybill, 0]]) }),
    );
    const inputs = [first];
    for (let i = 0; i < hubs; i++) {
      const departure = i % 2 === 1;
      const next = input(waybill, scan(waybill, departure ? 'HUB_DEPARTURE' : 'HUB_ARRIVAL', localTime(1, `1${i}:00`), 'H01', departure ? { nextSiteCode: 'H02' } : {}));
      const base = state.version;
      const decision = decide(state, next, policy);
      state = decision.state;
      inputs.push(next);
      await dataSource.transaction((manager) =>
        DecisionRepository.persist(manager, {
          states: [],
          journal: [{ waybillNo: waybill, version: state.version, entries: [{ version: state.version, input: next }] }],
          effects: decision.effects,
          baseVersions: new Map([[waybill, base]]),
        }),
      );
    }
    return { waybill, state, inputs };
  }

  it('reads snapshot plus entries as the decided state, with and without the row lock', async () => {
    const { waybill, state } = await journaledWaybill('JRNL', 4);
    const [row] = await query<{ version: number; journaled: number }>(`SELECT version, journaled FROM waybill_state WHERE waybill_no = $1`, [waybill], DB);
    expect(row).toEqual({ version: state.version, journaled: 4 });
    const read = await dataSource.transaction((manager) => DecisionRepository.readStates(manager, [waybill], policy));
    const locked = await dataSource.transaction((manager) => DecisionRepository.lockStates(manager, [waybill], policy));
    expect(read.get(waybill)).toEqual(JSON.parse(JSON.stringify(state)));
    expect(locked.get(waybill)).toEqual(JSON.parse(JSON.stringify(state)));
  });

  it('a snapshot write removes the entries it supersedes', async () => {
    const { waybill, state } = await journaledWaybill('JRNLSNAP', 3);
    const next = decide(state, input(waybill, scan(waybill, 'BRANCH_ARRIVAL', localTime(1, '18:00'), 'SHB001')), policy);
    await dataSource.transaction(async (manager) => {
      await DecisionRepository.lockStates(manager, [waybill], policy);
      await DecisionRepository.persist(manager, { states: [next.state], effects: next.effects });
    });
    const [row] = await query<{ version: number; journaled: number; entries: number }>(
      `SELECT version, journaled, (SELECT count(*)::int FROM waybill_journal j WHERE j.waybill_no = w.waybill_no) AS entries
       FROM waybill_state w WHERE waybill_no = $1`,
      [waybill],
      DB,
    );
    expect(row).toEqual({ version: next.state.version, journaled: 0, entries: 0 });
  });

  it('a reader that waited for the row lock folds the entries the lock holder committed', async () => {
    const { waybill, state } = await journaledWaybill('JRNLWAIT', 2);
    const next = input(waybill, scan(waybill, 'HUB_ARRIVAL', localTime(1, '16:00'), 'H02'));
    const decision = decide(state, next, policy);
    let releaseWriter!: () => void;
    const writerHolds = new Promise<void>((resolve) => (releaseWriter = resolve));
    let writerLocked!: () => void;
    const locked = new Promise<void>((resolve) => (writerLocked = resolve));
    const writer = dataSource.transaction(async (manager) => {
      await DecisionRepository.lockStates(manager, [waybill], policy);
      await DecisionRepository.persist(manager, {
        states: [],
        journal: [{ waybillNo: waybill, version: decision.state.version, entries: [{ version: decision.state.version, input: next }] }],
        effects: decision.effects,
      });
      writerLocked();
      await writerHolds; // COMMIT only once the reader waits for the row
    });
    await locked;
    const reader = dataSource.transaction((manager) => DecisionRepository.lockStates(manager, [waybill], policy));
    await new Promise((resolve) => setTimeout(resolve, 300));
    releaseWriter();
    await writer;
    const states = await reader;
    expect(states.get(waybill)?.version).toBe(decision.state.version);
    expect(states.get(waybill)).toEqual(JSON.parse(JSON.stringify(decision.state)));
  });

  it('refuses a stale journal write (another writer moved the waybill on)', async () => {
    const { waybill, state } = await journaledWaybill('JRNLSTALE', 1);
    const next = input(waybill, scan(waybill, 'HUB_DEPARTURE', localTime(1, '17:00'), 'H01', { nextSiteCode: 'H02' }));
    const decision = decide(state, next, policy);
    const write = () =>
      dataSource.transaction((manager) =>
        DecisionRepository.persist(manager, {
          states: [],
          journal: [{ waybillNo: waybill, version: decision.state.version, entries: [{ version: decision.state.version, input: next }] }],
          effects: decision.effects,
          baseVersions: new Map([[waybill, state.version - 1]]),
        }),
      );
    await expect(write()).rejects.toThrow(/changed since they were read/);
    const [row] = await query<{ entries: number }>(`SELECT count(*)::int AS entries FROM waybill_journal WHERE waybill_no = $1`, [waybill], DB);
    expect(row!.entries).toBe(1);
  });
});
