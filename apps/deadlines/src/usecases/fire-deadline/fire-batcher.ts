import type { FireOutcome } from './fire-deadline.usecase.js';

export type JudgeMany = (deadlineIds: string[]) => Promise<Map<string, FireOutcome>>;

interface Waiter {
  deadlineId: string;
  resolve: (outcome: FireOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for timers: timers that fire while a judgement is in flight are judged together in the next
 * transaction. A lone timer is judged at once (batching adds no delay); a burst is judged up to `maxBatch` at
 * a time, with at most `maxInFlight` transactions open. When a batch fails, its timers are judged one by one,
 * so that one deadline that cannot be judged does not hold back the others: only its own job sees the error.
 */
export class FireBatcher {
  private readonly waiting: Waiter[] = [];
  private inFlight = 0;

  constructor(
    private readonly judge: JudgeMany,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {}

  fire(deadlineId: string): Promise<FireOutcome> {
    return new Promise<FireOutcome>((resolve, reject) => {
      this.waiting.push({ deadlineId, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async run(batch: Waiter[]): Promise<void> {
    try {
      settle(batch, await this.judge(batch.map((w) => w.deadlineId)));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const waiter of batch) {
        try {
          settle([waiter], await this.judge([waiter.deadlineId]));
        } catch (single) {
          waiter.reject(single);
        }
      }
    }
  }
}

function settle(batch: Waiter[], outcomes: Map<string, FireOutcome>): void {
  for (const waiter of batch) {
    const outcome = outcomes.get(waiter.deadlineId);
    if (outcome) waiter.resolve(outcome);
    else waiter.reject(new Error(`no outcome for deadline ${waiter.deadlineId}`));
  }
}
