import { Inject, Injectable } from '@nestjs/common';
import type { DeadlineIntent } from '#persistence';
import { DEADLINE_SCHEDULER, type DeadlineScheduler, type ScheduledDeadline } from '../../scheduler/deadline-scheduler.js';

/**
 * Arms, moves and cancels timers from the intents the decision transactions wrote to the outbox.
 * Intents may arrive more than once (at-least-once relay); every operation is idempotent by id.
 * Within a batch only the last intent per deadline counts.
 */
@Injectable()
export class ApplyIntentsUseCase {
  constructor(@Inject(DEADLINE_SCHEDULER) private readonly scheduler: DeadlineScheduler) {}

  async execute(intents: DeadlineIntent[]): Promise<{ armed: number; moved: number; cancelled: number }> {
    const last = new Map<string, DeadlineIntent>();
    for (const intent of intents) last.set(intent.deadlineId, intent);
    const arm: ScheduledDeadline[] = [];
    const move: ScheduledDeadline[] = [];
    const cancel: string[] = [];
    for (const intent of last.values()) {
      if (intent.op === 'CANCEL') cancel.push(intent.deadlineId);
      else (intent.op === 'MOVE' ? move : arm).push({ deadlineId: intent.deadlineId, dueAt: intent.dueAt });
    }
    await this.scheduler.arm(arm);
    await this.scheduler.move(move);
    await this.scheduler.cancel(cancel);
    return { armed: arm.length, moved: move.length, cancelled: cancel.length };
  }
}
