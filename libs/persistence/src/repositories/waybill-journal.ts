import { decide, type Effect, type EngineInput, type Policy, type WaybillState } from '#domain';
import { dirtyCaseIds } from './decision-outbox.js';

/** An engine input appended to a waybill's journal, with the version its decision gave the waybill. */
export interface JournalEntry {
  version: number;
  input: EngineInput;
}

/** A waybill whose inputs of this write are appended to its journal; its snapshot row only gets `version`. */
export interface JournaledWaybill {
  waybillNo: string;
  /** The waybill's version after the last entry. */
  version: number;
  entries: JournalEntry[];
}

/** Entries after a snapshot before the next write of that waybill takes a snapshot again (bounds the fold on a read). */
export const JOURNAL_LIMIT = 24;

/**
 * The waybill's current state: its snapshot with the journal entries after it folded through the engine. The
 * engine is pure, so this is the state the entries' decisions produced when they were first applied (their
 * effects are not produced again: they were carried out then). Throws when the entries do not lead to the row's
 * version — a journal that does not match its snapshot must stop the writer, not be papered over.
 */
export function foldJournal(
  waybillNo: string,
  snapshot: WaybillState | null,
  entries: readonly JournalEntry[] | null,
  version: number,
  policy: Policy,
): WaybillState | null {
  let state = snapshot;
  for (const entry of entries ?? []) {
    state = decide(state, entry.input, policy).state;
    if (state.version !== entry.version) {
      throw new Error(`waybill ${waybillNo}: journal entry ${entry.version} folds to version ${state.version}`);
    }
  }
  if ((state?.version ?? 0) !== version) {
    throw new Error(`waybill ${waybillNo}: snapshot and journal give version ${state?.version ?? 0}, the row has ${version}`);
  }
  return state;
}

/**
 * Whether a waybill's decisions of one write may go to its journal instead of a new snapshot. A snapshot is
 * written when a case changed (problem_case rows and the case-number draw are derived from the snapshot's cases),
 * when the waybill has no snapshot with its PICKUP yet (the notifier reads the people on the waybill from it),
 * and every JOURNAL_LIMIT entries.
 */
export function mayJournal(before: WaybillState | null, journaledBefore: number | undefined, entries: number, effects: Effect[]): boolean {
  if (!before || before.version === 0 || !before.pickup) return false;
  if (journaledBefore === undefined || journaledBefore + entries > JOURNAL_LIMIT) return false;
  return dirtyCaseIds(effects).size === 0;
}
