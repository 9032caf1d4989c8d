import type { WaybillState } from '#domain';

interface Entry {
  state: WaybillState;
  /** Journal entries after the waybill's snapshot row when this state was committed (see waybill-journal.ts). */
  journaled: number;
}

/**
 * The waybill states this process last committed or read, so that a batch does not fetch (and parse) a
 * snapshot PostgreSQL already sent or received. An entry is only a hint: it is used when the row, locked
 * in the batch's transaction, still holds the same version — every writer of a waybill (ingest, deadlines)
 * bumps the version, so an equal version means an equal state. Entries are added only after a commit.
 *
 * Bounded: the oldest entries (by last write or read) are dropped first; a waybill's events cluster in
 * time, so recent ones are the ones that come back.
 */
export class WaybillStateCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly capacity = 100_000) {}

  get(waybillNo: string): WaybillState | undefined {
    return this.entries.get(waybillNo)?.state;
  }

  /** How many journal entries followed the waybill's snapshot when its cached state was committed. */
  journaled(waybillNo: string): number | undefined {
    return this.entries.get(waybillNo)?.journaled;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Records committed states (call after the transaction that read or wrote them committed). */
  remember(states: Iterable<WaybillState>, journaled?: ReadonlyMap<string, number>): void {
    if (this.capacity === 0) return;
    for (const state of states) {
      this.entries.delete(state.waybillNo);
      this.entries.set(state.waybillNo, { state, journaled: journaled?.get(state.waybillNo) ?? 0 });
    }
    if (this.entries.size <= this.capacity) return;
    let excess = this.entries.size - this.capacity;
    for (const key of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
