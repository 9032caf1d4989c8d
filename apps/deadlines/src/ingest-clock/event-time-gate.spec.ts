import type { PartitionProgress } from '#persistence';
import { eventTimeGate, MAX_CLOCK_WAIT_MS, type EventTimeGateInput } from './event-time-gate.js';

const NOW = Date.parse('2026-11-24T12:00:00+08:00');
const MIN = 60_000;
const at = (local: string) => Date.parse(`2026-11-23T${local}:00+08:00`);

function partition(partitionNo: number, progress: { next: number; end: number; newest: string | null; quietMs?: number }): PartitionProgress {
  return {
    topic: 'courier.scan.v1',
    partition: partitionNo,
    nextOffset: BigInt(progress.next),
    highWatermark: BigInt(progress.end),
    maxEventTime: progress.newest ? new Date(at(progress.newest)) : null,
    updatedAt: new Date(NOW - (progress.quietMs ?? 1000)),
  };
}

function gate(partitions: PartitionProgress[], endOffsets: Record<string, number> | null = null, overrides: Partial<EventTimeGateInput> = {}) {
  return eventTimeGate({
    partitions,
    endOffsets: endOffsets && new Map(Object.entries(endOffsets).map(([key, end]) => [key, BigInt(end)])),
    now: NOW,
    latenessMs: 5 * MIN,
    idleGraceMs: 30_000,
    stalledGraceMs: 900_000,
    ...overrides,
  });
}

describe('event-time gate of the deadline service', () => {
  it('judges at once when no ingest progress exists for the group', () => {
    expect(gate([])(at('21:00'))).toBeNull();
  });

  it('holds a deadline a caught-up replay of a past day has not reached, and judges one it has passed', () => {
    // Caught up with the producer at yesterday 16:00 (busy: the last batch was a second ago).
    const check = gate([partition(0, { next: 100, end: 100, newest: '16:00' }), partition(1, { next: 50, end: 50, newest: '15:40' })]);
    expect(check(at('21:00'))).toBe(NOW + MAX_CLOCK_WAIT_MS);
    expect(check(at('15:55'))).toBeNull(); // the newest event time less the lateness has passed it
    expect(check(at('15:56'))).not.toBeNull();
  });

  it('is held back by the slowest partition that still has messages', () => {
    const check = gate([partition(0, { next: 100, end: 100, newest: '20:00' }), partition(1, { next: 40, end: 50, newest: '12:00' })]);
    expect(check(at('11:55'))).toBeNull();
    expect(check(at('13:00'))).not.toBeNull();
  });

  it('takes the backlog from the brokers: a consumer that crashed while caught up does not see it grow', () => {
    const rows = [partition(0, { next: 100, end: 100, newest: '16:00', quietMs: 60_000 })];
    // By its own last view the stream is caught up and quiet for a minute (past the 30 s idle grace) …
    expect(gate(rows)(at('21:00'))).toBeNull();
    // … but the brokers hold 20 more messages: it waits for them (up to the stalled-consumer limit).
    expect(gate(rows, { 'courier.scan.v1:0': 120 })(at('21:00'))).toBe(NOW + MAX_CLOCK_WAIT_MS);
  });

  it('holds every deadline while a partition has messages that ingest never committed', () => {
    const rows = [partition(0, { next: 100, end: 100, newest: '23:00' })];
    expect(gate(rows, { 'courier.scan.v1:0': 100, 'courier.scan.v1:1': 7 })(at('09:00'))).not.toBeNull();
    expect(gate(rows, { 'courier.scan.v1:0': 100, 'courier.scan.v1:1': 0 })(at('09:00'))).toBeNull();
  });

  it('lets due deadlines through once a caught-up stream has been quiet for the idle grace', () => {
    const rows = [partition(0, { next: 100, end: 100, newest: '16:00', quietMs: 31_000 })];
    expect(gate(rows, { 'courier.scan.v1:0': 100 })(at('21:00'))).toBeNull();
    const busy = [partition(0, { next: 100, end: 100, newest: '16:00', quietMs: 25_000 })];
    expect(gate(busy, { 'courier.scan.v1:0': 100 })(at('21:00'))).toBe(NOW + MAX_CLOCK_WAIT_MS); // waits at most 2 s at a time
  });

  it('lets them through when a consumer with a backlog has made no progress for the stalled limit', () => {
    const stalled = (quietMs: number) => [partition(0, { next: 40, end: 50, newest: '12:00', quietMs })];
    expect(gate(stalled(10 * MIN))(at('21:00'))).not.toBeNull();
    expect(gate(stalled(16 * MIN))(at('21:00'))).toBeNull();
  });

  it('waits for a partition still behind whose newest event time is unknown', () => {
    const rows = [partition(0, { next: 100, end: 100, newest: '23:00' }), partition(1, { next: 3, end: 10, newest: null })];
    expect(gate(rows)(at('01:00'))).not.toBeNull();
  });
});
