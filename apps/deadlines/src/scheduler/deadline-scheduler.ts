/** A pending deadline as the timer store needs it: the id is the deadline's own (deterministic). */
export interface ScheduledDeadline {
  deadlineId: string;
  dueAt: string;
}

export interface SchedulerCounts {
  delayed: number;
  waiting: number;
  active: number;
  failed: number;
}

/**
 * The timer store behind one interface (BullMQ today). PostgreSQL stays the source of truth: the
 * scheduler only has to wake the service up at the right time, and the reconciler repairs it.
 */
export interface DeadlineScheduler {
  /** Idempotent by id: arming an armed deadline changes nothing. Returns how many timers it created. */
  arm(deadlines: ScheduledDeadline[]): Promise<number>;
  /** Re-times deadlines whose due time moved. */
  move(deadlines: ScheduledDeadline[]): Promise<void>;
  cancel(deadlineIds: string[]): Promise<void>;
  /** The ids among these that have no live timer (none at all, or only a finished job). */
  missing(deadlineIds: string[]): Promise<string[]>;
  /** Every id that has a timer, in pages. */
  scheduledIds(pageSize: number): AsyncIterable<string[]>;
  counts(): Promise<SchedulerCounts>;
}

export const DEADLINE_SCHEDULER = Symbol('DEADLINE_SCHEDULER');
