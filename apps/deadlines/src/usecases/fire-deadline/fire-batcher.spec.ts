import { FireBatcher } from './fire-batcher.js';
import type { FireOutcome } from './fire-deadline.usecase.js';

const stale: FireOutcome = { kind: 'STALE' };

/** A judge whose transactions the test completes by hand, recording the batches it was given. */
function manualJudge() {
  const calls: { ids: string[]; finish: (outcomes?: Map<string, FireOutcome>) => void; fail: (error: Error) => void }[] = [];
  const judge = (ids: string[]) =>
    new Promise<Map<string, FireOutcome>>((resolve, reject) => {
      calls.push({ ids, finish: (outcomes) => resolve(outcomes ?? new Map(ids.map((id) => [id, stale]))), fail: reject });
    });
  return { calls, judge };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FireBatcher', () => {
  it('judges a lone timer at once, and the timers that fire meanwhile together in the next transaction', async () => {
    const { calls, judge } = manualJudge();
    const batcher = new FireBatcher(judge, 100, 1);
    const first = batcher.fire('a');
    const rest = ['b', 'c', 'd'].map((id) => batcher.fire(id));
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a']]);

    calls[0]!.finish();
    await expect(first).resolves.toEqual(stale);
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1]!.finish();
    await expect(Promise.all(rest)).resolves.toEqual([stale, stale, stale]);
  });

  it('keeps at most maxInFlight transactions open and at most maxBatch timers in each', async () => {
    const { calls, judge } = manualJudge();
    const batcher = new FireBatcher(judge, 2, 2);
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => batcher.fire(id));
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
    calls[1]!.finish();
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b'], ['c', 'd']]);
    calls[0]!.finish();
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b'], ['c', 'd'], ['e', 'f']]);
    calls[2]!.finish();
    calls[3]!.finish();
    await expect(Promise.all(all)).resolves.toHaveLength(6);
  });

  it('gives each timer its own outcome', async () => {
    const { calls, judge } = manualJudge();
    const batcher = new FireBatcher(judge, 10, 1);
    batcher.fire('first');
    const [missed, waiting] = [batcher.fire('x'), batcher.fire('y')];
    await tick();
    calls[0]!.finish();
    await tick();
    calls[1]!.finish(
      new Map<string, FireOutcome>([
        ['x', { kind: 'MISSED', rule: 'D4', dueAt: '2026-11-22T13:00:00.000Z' }],
        ['y', { kind: 'WAIT', untilMs: 42 }],
      ]),
    );
    await expect(missed).resolves.toEqual({ kind: 'MISSED', rule: 'D4', dueAt: '2026-11-22T13:00:00.000Z' });
    await expect(waiting).resolves.toEqual({ kind: 'WAIT', untilMs: 42 });
  });

  it('judges a failed batch one timer at a time, so that only the timer at fault sees the error', async () => {
    const judged: string[][] = [];
    const batcher = new FireBatcher(
      async (ids) => {
        judged.push(ids);
        if (ids.includes('poison')) throw new Error(`cannot judge ${ids.join(',')}`);
        return new Map(ids.map((id) => [id, stale]));
      },
      10,
      1,
    );
    const lone = batcher.fire('lone');
    const batch = ['a', 'poison', 'b'].map((id) => batcher.fire(id));
    await expect(lone).resolves.toEqual(stale);
    const settled = await Promise.allSettled(batch);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('cannot judge poison');
    expect(judged).toEqual([['lone'], ['a', 'poison', 'b'], ['a'], ['poison'], ['b']]);
  });

  it('rejects a timer the judge returned no outcome for', async () => {
    const batcher = new FireBatcher(async () => new Map(), 10, 1);
    await expect(batcher.fire('ghost')).rejects.toThrow('no outcome for deadline ghost');
  });
});
