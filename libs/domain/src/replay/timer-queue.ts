import type { IsoTime } from '../engine/types.js';

/** An armed deadline timer, as the replay runner feeds it back to the engine when it comes due. */
export interface ArmedTimer {
  waybillNo: string;
  deadlineId: string;
  caseId: string | null;
  dueAt: IsoTime;
}

interface HeapEntry {
  timer: ArmedTimer;
  dueMs: number;
  /** Arming order: breaks ties between equal due times deterministically. */
  seq: number;
}

/**
 * Min-heap of pending timers ordered by (dueAt, arming order). Re-arming (DeadlineMoved) or cancelling a
 * timer does not search the heap: the live entry per timer is tracked in a map and superseded heap entries
 * are dropped when they surface (lazy deletion), keeping every operation O(log n).
 */
export class TimerQueue {
  private readonly heap: HeapEntry[] = [];
  private readonly live = new Map<string, HeapEntry>();
  private nextSeq = 0;

  get size(): number {
    return this.live.size;
  }

  /** Arms `timer`, replacing any pending timer with the same waybill and deadline id. */
  arm(timer: ArmedTimer): void {
    const dueMs = Date.parse(timer.dueAt);
    if (Number.isNaN(dueMs)) {
      throw new RangeError(`timer ${timer.deadlineId} has an invalid dueAt "${timer.dueAt}"`);
    }
    const entry: HeapEntry = { timer, dueMs, seq: this.nextSeq++ };
    this.live.set(keyOf(timer.waybillNo, timer.deadlineId), entry);
    this.push(entry);
  }

  /** Forgets a pending timer (met, cancelled, missed or retracted); unknown ids are ignored. */
  cancel(waybillNo: string, deadlineId: string): void {
    this.live.delete(keyOf(waybillNo, deadlineId));
  }

  /** The earliest pending timer without removing it. */
  peek(): ArmedTimer | undefined {
    this.dropSuperseded();
    return this.heap[0]?.timer;
  }

  /** Removes and returns the earliest pending timer if it is due at or before `limitMs` (inclusive). */
  popDueBy(limitMs: number, inclusive: boolean): ArmedTimer | undefined {
    this.dropSuperseded();
    const top = this.heap[0];
    if (!top || top.dueMs > limitMs || (!inclusive && top.dueMs === limitMs)) {
      return undefined;
    }
    this.popTop();
    this.live.delete(keyOf(top.timer.waybillNo, top.timer.deadlineId));
    return top.timer;
  }

  private dropSuperseded(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (this.live.get(keyOf(top.timer.waybillNo, top.timer.deadlineId)) === top) return;
      this.popTop();
    }
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private popTop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
  }
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

// Deadline ids embed the waybill already; the waybill in the key also keeps caseless timer ids apart.
function keyOf(waybillNo: string, deadlineId: string): string {
  return `${waybillNo}\u0000${deadlineId}`;
}
