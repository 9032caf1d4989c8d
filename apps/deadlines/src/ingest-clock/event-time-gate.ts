import type { PartitionProgress } from '#persistence';

/** The longest a timer held back by the event-time clock waits before it looks again. */
export const MAX_CLOCK_WAIT_MS = 2000;

export interface EventTimeGateInput {
  /** The ingest group's progress per partition, as committed with its effects (PostgreSQL). */
  partitions: PartitionProgress[];
  /**
   * End offsets of the ingest group's input topics as the brokers report them now, by `topic:partition`; null when
   * they could not be read (the progress rows' own end offsets, seen with their last batch, are used instead).
   */
  endOffsets: ReadonlyMap<string, bigint> | null;
  now: number;
  latenessMs: number;
  /** A caught-up, quiet stream: due deadlines are judged after this (nothing more is coming). */
  idleGraceMs: number;
  /** A consumer with a backlog that makes no progress at all: due deadlines are judged anyway after this. */
  stalledGraceMs: number;
}

/** For a due time: null to judge now, else when to look again. */
export type EventTimeGate = (dueMs: number) => number | null;

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * When a due deadline may be judged (rules §3: by event time). The clock is the newest event time applied from the
 * slowest partition that still has messages to ingest — or, when none has, the newest event time applied — less
 * the allowed lateness. What "still has messages" means is read from the brokers' end offsets, not only from the
 * consumer's own last view of them: a consumer that crashed has stopped updating that view while messages keep
 * arriving, and a partition with messages it never committed holds the clock back entirely.
 *
 * Liveness: a stream that is caught up and quiet lets due deadlines through after `idleGraceMs`; a consumer that
 * has a backlog but makes no progress holds them for `stalledGraceMs` (far longer: judging by the wall clock
 * while a backlog waits would record overdues that the backlog's own messages disprove).
 */
export function eventTimeGate(input: EventTimeGateInput): EventTimeGate {
  const { partitions, endOffsets, now } = input;
  const committed = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)));
  const behind = partitions.filter((p) => (endOffsets?.get(partitionKey(p.topic, p.partition)) ?? p.highWatermark) > p.nextOffset);
  const neverConsumed = [...(endOffsets ?? new Map<string, bigint>())].some(([key, end]) => end > 0n && !committed.has(key));
  // No progress committed at all: nothing is known about an ingest of this group (deadlines are judged as they come due).
  if (partitions.length === 0) return () => null;

  let clock: number;
  if (neverConsumed || behind.some((p) => p.maxEventTime === null)) {
    clock = -Infinity; // messages whose event times nobody has seen yet
  } else if (behind.length > 0) {
    clock = Math.min(...behind.map((p) => p.maxEventTime!.getTime()));
  } else {
    const times = partitions.filter((p) => p.maxEventTime).map((p) => p.maxEventTime!.getTime());
    clock = times.length ? Math.max(...times) : -Infinity;
  }
  const watermark = clock - input.latenessMs;
  const lastActivity = Math.max(...partitions.map((p) => p.updatedAt.getTime()));
  const grace = behind.length > 0 || neverConsumed ? input.stalledGraceMs : input.idleGraceMs;
  const graceLeft = grace - (now - lastActivity);
  return (dueMs) => (watermark >= dueMs || graceLeft <= 0 ? null : now + Math.min(MAX_CLOCK_WAIT_MS, graceLeft));
}
