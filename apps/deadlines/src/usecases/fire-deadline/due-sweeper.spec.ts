import { DueSweeper, type Judge } from './due-sweeper.js';
import { SweepFailed, type FireOutcome, type Judgements, type Standing } from './fire-deadline.usecase.js';

const missed = (id: string): FireOutcome => ({ kind: 'MISSED', rule: id.slice(-2), dueAt: '2026-11-23T04:00:00.000Z' });

function judgements(outcomes: [string, FireOutcome][]): Judgements {
  const judged = outcomes.filter(([, o]) => o.kind === 'MISSED' || o.kind === 'DECIDED').map(([id]) => [id, 0] as [string, number]);
  return { outcomes: new Map(outcomes), dueMs: new Map(judged), committedAtMs: 1, phases: { lock: 0, read: 0, engine: 0, write: 0, commit: 0 } };
}

/**
 * An in-memory stand-in for PostgreSQL's pending deadlines (the real judge is exercised by the e2e tests): a
 * sweep claims the earliest due pending ones not locked elsewhere and not excluded, and judges them.
 */
class FakeJudge implements Judge {
  readonly pending = new Map<string, number>(); // id → due time
  readonly lockedElsewhere = new Set<string>();
  readonly poison = new Set<string>();
  readonly calls: string[] = [];
  now = 100;

  inspect = async (ids: string[]): Promise<Map<string, Standing>> => {
    this.calls.push(`inspect ${ids.length}`);
    return new Map(
      ids.map((id): [string, Standing] => {
        const due = this.pending.get(id);
        if (due === undefined) return [id, { kind: 'STALE' }];
        return [id, due > this.now ? { kind: 'WAIT', untilMs: due } : { kind: 'DUE' }];
      }),
    );
  };

  sweep = async (limit: number, excluded: string[]): Promise<Judgements> => {
    const claimed = [...this.pending]
      .filter(([id, due]) => due <= this.now && !this.lockedElsewhere.has(id) && !excluded.includes(id))
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
    this.calls.push(`sweep ${claimed.length}`);
    if (claimed.some((id) => this.poison.has(id))) throw new SweepFailed(claimed, new Error('engine bug'));
    return this.judgeAll(claimed);
  };

  executeMany = async (ids: string[]): Promise<Judgements> => {
    this.calls.push(`named ${ids.join(',')}`);
    const poisoned = ids.find((id) => this.poison.has(id));
    if (poisoned) throw new Error(`cannot judge ${poisoned}`);
    // Waits for the locks, as the real one does.
    while (ids.some((id) => this.lockedElsewhere.has(id))) await new Promise((resolve) => setTimeout(resolve, 5));
    return this.judgeAll(ids);
  };

  private judgeAll(ids: string[], asked: string[] = ids): Judgements {
    return judgements(
      asked.map((id) => {
        if (!ids.includes(id) || !this.pending.has(id)) return [id, { kind: 'STALE' }];
        this.pending.delete(id);
        return [id, missed(id)];
      }),
    );
  }
}

const options = { sweepLimit: 3, sweepsInFlight: 2, targetedBatch: 4, quarantineMs: 1000 };

describe('DueSweeper', () => {
  it('judges a burst of due deadlines in sweeps, earliest first, and the jobs that come after find them judged', async () => {
    const judge = new FakeJudge();
    for (let i = 0; i < 8; i++) judge.pending.set(`d${i}-C1`, 50 + i);
    const sweeper = new DueSweeper(judge, options);

    await expect(sweeper.fire('d7-C1')).resolves.toEqual(missed('d7-C1'));
    expect(judge.pending.size).toBe(0);
    // 8 due: a first sweep comes back full, two more run at once, the short one ends the drain; none by name.
    expect(judge.calls).toEqual(['inspect 1', 'sweep 3', 'sweep 3', 'sweep 2']);

    // The other timers of that second: one lookup, no judgement, and the outcome their deadline had.
    judge.calls.length = 0;
    const rest = await Promise.all(['d0-C1', 'd1-C1', 'd2-C1'].map((id) => sweeper.fire(id)));
    expect(rest).toEqual([missed('d0-C1'), missed('d1-C1'), missed('d2-C1')]);
    expect(judge.calls).toEqual(['inspect 3']);
  });

  it('lets a timer that is not due yet wait, and reports a deadline no longer pending as stale', async () => {
    const judge = new FakeJudge();
    judge.pending.set('later-C2', 500);
    const sweeper = new DueSweeper(judge, options);
    await expect(sweeper.fire('later-C2')).resolves.toEqual({ kind: 'WAIT', untilMs: 500 });
    await expect(sweeper.fire('met-C1')).resolves.toEqual({ kind: 'STALE' });
    expect(judge.calls).toEqual(['inspect 1', 'inspect 1']);
  });

  it('judges by name, waiting for the lock, a due deadline whose waybill no sweep could claim', async () => {
    const judge = new FakeJudge();
    judge.pending.set('busy-D4', 50);
    judge.lockedElsewhere.add('busy-D4');
    const sweeper = new DueSweeper(judge, options);
    const fired = sweeper.fire('busy-D4');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(judge.calls).toEqual(['inspect 1', 'sweep 0', 'named busy-D4']); // waiting
    judge.lockedElsewhere.delete('busy-D4'); // the other transaction commits
    await expect(fired).resolves.toEqual(missed('busy-D4'));
    expect(judge.calls).toEqual(['inspect 1', 'sweep 0', 'named busy-D4']);
  });

  it('finds the deadline a failed sweep could not judge: only its job sees the error, and sweeps leave it out', async () => {
    const judge = new FakeJudge();
    for (const id of ['a-C1', 'bad-C1', 'c-C1']) judge.pending.set(id, 50);
    judge.poison.add('bad-C1');
    let now = 0;
    const sweeper = new DueSweeper(judge, options, () => now);

    const [a, bad] = await Promise.allSettled([sweeper.fire('a-C1'), sweeper.fire('bad-C1')]);
    expect(a).toEqual({ status: 'fulfilled', value: missed('a-C1') });
    expect(bad).toMatchObject({ status: 'rejected', reason: new Error('cannot judge bad-C1') });
    expect([...judge.pending.keys()]).toEqual(['bad-C1']); // c-C1, claimed by the failed sweep, was judged by name

    // Its retry: sweeps leave it out while it is quarantined, so a sweep for another timer succeeds.
    judge.pending.set('d-C1', 60);
    judge.calls.length = 0;
    await expect(sweeper.fire('d-C1')).resolves.toEqual(missed('d-C1'));
    expect(judge.calls).toEqual(['inspect 1', 'sweep 1']);
    // Once the quarantine is over (and the bug fixed), sweeps take it again.
    now = 1000;
    judge.poison.clear();
    await expect(sweeper.fire('bad-C1')).resolves.toEqual(missed('bad-C1'));
  });

  it('rejects every timer of a lookup that failed (PostgreSQL down), and serves the next ones', async () => {
    const judge = new FakeJudge();
    const inspect = judge.inspect;
    judge.inspect = async () => {
      throw new Error('connection refused');
    };
    const sweeper = new DueSweeper(judge, options);
    await expect(sweeper.fire('x-C1')).rejects.toThrow('connection refused');
    judge.inspect = inspect;
    judge.pending.set('x-C1', 50);
    await expect(sweeper.fire('x-C1')).resolves.toEqual(missed('x-C1'));
  });
});
