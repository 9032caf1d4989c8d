import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeadlineIntent } from '#persistence';
import { DEADLINE_SCHEDULER, type DeadlineScheduler, type ScheduledDeadline } from '../../scheduler/deadline-scheduler.js';

export interface AppliedIntents {
  armed: number;
  moved: number;
  cancelled: number;
  /** ARM / MOVE intents for deadlines no longer pending (redelivered, replayed or overtaken): cancelled instead. */
  stale: number;
}

/**
 * Arms, moves and cancels timers from the intents the decision transactions wrote to the outbox. Intents may
 * arrive more than once, late, or replayed from the start of the topic; every operation is idempotent by id.
 * Within a batch only the last intent per deadline counts, and PostgreSQL has the last word: an ARM or MOVE
 * gets a timer only if its deadline is still pending, at the due time the row holds now.
 */
@Injectable()
export class ApplyIntentsUseCase {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(DEADLINE_SCHEDULER) private readonly scheduler: DeadlineScheduler,
  ) {}

  async execute(intents: DeadlineIntent[]): Promise<AppliedIntents> {
    const last = new Map<string, DeadlineIntent>();
    for (const intent of intents) last.set(intent.deadlineId, intent);
    const timed = [...last.values()].filter((i) => i.op !== 'CANCEL');
    const pendingDue = await this.pendingDueTimes(timed.map((i) => i.deadlineId));

    const arm: ScheduledDeadline[] = [];
    const move: ScheduledDeadline[] = [];
    const cancel: string[] = [];
    let stale = 0;
    for (const intent of last.values()) {
      const dueAt = pendingDue.get(intent.deadlineId);
      if (intent.op === 'CANCEL') {
        cancel.push(intent.deadlineId);
      } else if (dueAt === undefined) {
        cancel.push(intent.deadlineId);
        stale += 1;
      } else {
        (intent.op === 'MOVE' ? move : arm).push({ deadlineId: intent.deadlineId, dueAt });
      }
    }
    await this.scheduler.arm(arm);
    await this.scheduler.move(move);
    await this.scheduler.cancel(cancel);
    return { armed: arm.length, moved: move.length, cancelled: cancel.length - stale, stale };
  }

  private async pendingDueTimes(deadlineIds: string[]): Promise<Map<string, string>> {
    if (deadlineIds.length === 0) return new Map();
    const rows: { deadline_id: string; due_at: Date }[] = await this.dataSource.query(
      `SELECT deadline_id, due_at FROM deadline WHERE deadline_id = ANY($1::text[]) AND status = 'PENDING'`,
      [deadlineIds],
    );
    return new Map(rows.map((r) => [r.deadline_id, new Date(r.due_at).toISOString()]));
  }
}
