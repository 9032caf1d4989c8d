import { parseInputMessage, type InputKind } from '#contracts';
import { decide, type Effect, type EngineInput, type WaybillState } from '#domain';
import { generateDay } from '../../../../apps/simulator/src/generator.js';
import { foldJournal, JOURNAL_LIMIT, mayJournal, type JournalEntry } from './waybill-journal.js';

/** What PostgreSQL gives back: json text parsed again. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A small deterministic PRNG (batch boundaries). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

describe('waybill journal', () => {
  const day = generateDay({ seed: 5, day: '2026-11-20', waybills: 600 });
  const inputsByWaybill = new Map<string, EngineInput[]>();
  for (const envelope of day.envelopes) {
    const kind = envelope.topic.split('.').at(-2) as InputKind;
    const value = typeof envelope.value === 'string' ? envelope.value : JSON.stringify(envelope.value);
    const parsed = parseInputMessage({ kind, key: envelope.key, value, now: '2026-12-01T00:00:00Z' });
    if (!parsed.ok) continue;
    const list = inputsByWaybill.get(parsed.event.waybillNo) ?? [];
    list.push({ kind: 'event', event: parsed.event });
    inputsByWaybill.set(parsed.event.waybillNo, list);
  }

  it('folds a snapshot and the entries after it into the state the decisions produced, through json as stored', () => {
    const random = prng(17);
    let journaledInputs = 0;
    let snapshots = 0;
    const differing: string[] = [];
    for (const [waybillNo, inputs] of inputsByWaybill) {
      // As ingest does, batch by batch: a snapshot, or the batch's inputs appended to the journal.
      let direct: WaybillState | null = null;
      let snapshot: WaybillState | null = null;
      let journal: JournalEntry[] = [];
      for (let i = 0; i < inputs.length; ) {
        const size = 1 + Math.floor(random() * 3);
        const before = direct;
        const entries: JournalEntry[] = [];
        const effects: Effect[] = [];
        for (const input of inputs.slice(i, i + size)) {
          const decision = decide(direct, input, day.policy);
          if (decision.state.version !== direct?.version) entries.push({ version: decision.state.version, input });
          direct = decision.state;
          effects.push(...decision.effects);
        }
        i += size;
        if (entries.length === 0) continue;
        if (mayJournal(before, journal.length, entries.length, effects)) {
          journal.push(...roundTrip(entries));
          journaledInputs += entries.length;
        } else {
          snapshot = roundTrip(direct);
          journal = [];
          snapshots += 1;
        }
      }
      const folded = foldJournal(waybillNo, snapshot, journal, direct?.version ?? 0, day.policy);
      if (JSON.stringify(folded) !== JSON.stringify(direct)) differing.push(waybillNo);
    }
    expect(differing).toEqual([]);
    // Most inputs change no case: the journal must be doing the work, not the snapshots.
    expect(journaledInputs).toBeGreaterThan(snapshots);
  });

  it('refuses a journal that does not lead to the row version', () => {
    const [waybillNo, inputs] = [...inputsByWaybill].find(([, list]) => list.length >= 3)!;
    const first = decide(null, inputs[0]!, day.policy).state;
    const second = decide(first, inputs[1]!, day.policy).state;
    expect(() => foldJournal(waybillNo, first, [{ version: second.version, input: inputs[1]! }], second.version + 1, day.policy)).toThrow(
      /the row has/,
    );
    expect(() => foldJournal(waybillNo, first, [{ version: second.version + 5, input: inputs[1]! }], second.version + 5, day.policy)).toThrow(
      /folds to version/,
    );
  });

  it('takes a snapshot for a new waybill, a case change, a missing PICKUP and a full journal', () => {
    const [, inputs] = [...inputsByWaybill].find(([, list]) => list.length >= 3)!;
    const picked = decide(null, inputs[0]!, day.policy).state;
    expect(mayJournal(null, undefined, 1, [])).toBe(false);
    expect(mayJournal(picked, 0, 1, [])).toBe(picked.pickup !== null);
    expect(mayJournal({ ...picked, pickup: null }, 0, 1, [])).toBe(false);
    expect(mayJournal(picked, JOURNAL_LIMIT, 1, [])).toBe(false);
    expect(mayJournal(picked, undefined, 1, [])).toBe(false);
    const caseChanged = { type: 'CaseChanged', caseId: 'X-1' } as unknown as Effect;
    expect(mayJournal(picked, 0, 1, [caseChanged])).toBe(false);
  });
});
