import type { DataSource } from 'typeorm';
import type { DeadlineIntent } from '#persistence';
import type { DeadlineScheduler, ScheduledDeadline } from '../../scheduler/deadline-scheduler.js';
import { ApplyIntentsUseCase } from './apply-intents.usecase.js';

/** PostgreSQL as far as the use case reads it: the pending deadlines and their due times. */
function pendingRows(rows: Record<string, string>): DataSource {
  return {
    query: async (_sql: string, [ids]: [string[]]) =>
      ids.filter((id) => id in rows).map((id) => ({ deadline_id: id, due_at: new Date(rows[id]!) })),
  } as unknown as DataSource;
}

function recordingScheduler() {
  const calls = { arm: [] as ScheduledDeadline[], move: [] as ScheduledDeadline[], cancel: [] as string[] };
  const scheduler: Pick<DeadlineScheduler, 'arm' | 'move' | 'cancel'> = {
    arm: async (d) => (calls.arm.push(...d), d.length),
    move: async (d) => void calls.move.push(...d),
    cancel: async (ids) => void calls.cancel.push(...ids),
  };
  return { calls, scheduler: scheduler as DeadlineScheduler };
}

const intent = (op: DeadlineIntent['op'], deadlineId: string, dueAt = '2026-11-23T13:00:00.000Z'): DeadlineIntent => ({
  op,
  deadlineId,
  caseId: 'WB1-FAILED_DELIVERY-1',
  waybillNo: 'WB1',
  rule: 'D4',
  dueAt,
});

describe('ApplyIntentsUseCase', () => {
  it('arms and moves pending deadlines at the due time PostgreSQL holds, and cancels', async () => {
    const { calls, scheduler } = recordingScheduler();
    const useCase = new ApplyIntentsUseCase(
      pendingRows({ armed: '2026-11-23T13:00:00.000Z', moved: '2026-11-24T01:00:00.000Z' }),
      scheduler,
    );
    const result = await useCase.execute([
      intent('ARM', 'armed'),
      intent('MOVE', 'moved', '2026-11-23T20:00:00.000Z'), // an older due time than the row's: the row wins
      intent('CANCEL', 'met'),
    ]);
    expect(calls).toEqual({
      arm: [{ deadlineId: 'armed', dueAt: '2026-11-23T13:00:00.000Z' }],
      move: [{ deadlineId: 'moved', dueAt: '2026-11-24T01:00:00.000Z' }],
      cancel: ['met'],
    });
    expect(result).toEqual({ armed: 1, moved: 1, cancelled: 1, stale: 0 });
  });

  it('lets only the last intent per deadline in a batch count', async () => {
    const { calls, scheduler } = recordingScheduler();
    const useCase = new ApplyIntentsUseCase(pendingRows({ d: '2026-11-23T13:00:00.000Z' }), scheduler);
    await useCase.execute([intent('ARM', 'd'), intent('CANCEL', 'd'), intent('ARM', 'd')]);
    expect(calls).toEqual({ arm: [{ deadlineId: 'd', dueAt: '2026-11-23T13:00:00.000Z' }], move: [], cancel: [] });
  });

  it('turns an ARM or MOVE for a deadline no longer pending (redelivered, replayed) into a cancel', async () => {
    const { calls, scheduler } = recordingScheduler();
    const useCase = new ApplyIntentsUseCase(pendingRows({}), scheduler);
    const result = await useCase.execute([intent('ARM', 'judged'), intent('MOVE', 'closed')]);
    expect(calls).toEqual({ arm: [], move: [], cancel: ['judged', 'closed'] });
    expect(result).toEqual({ armed: 0, moved: 0, cancelled: 0, stale: 2 });
  });
});
