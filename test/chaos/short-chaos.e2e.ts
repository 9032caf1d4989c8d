import { chaosProfile } from '../../scripts/chaos/config.js';
import { ZERO_FIGURES } from '../../scripts/chaos/invariants.js';
import { printTable } from '../../scripts/chaos/report.js';
import { runChaos } from '../../scripts/chaos/run.js';
import { ROOT } from '../support/processes.js';

/**
 * The short chaos run (scripts/chaos, docs/RELIABILITY.md) as part of the test command: every app as its own
 * process against a PostgreSQL cluster, a Redis server and a Kafka mock cluster of the run's own; a seeded day
 * produced at a set rate while apps are SIGKILLed at random moments, PostgreSQL is crashed and restarted and Redis
 * is flushed; then every check against the simulator's ground truth and the fake gateway must come out at zero.
 */
describe('short chaos run', () => {
  it('loses, duplicates and misjudges nothing through SIGKILLs, a PostgreSQL crash and a Redis flush', async () => {
    const profile = chaosProfile('short');
    const result = await runChaos(profile, { root: ROOT });
    printTable(result, (text) => process.stderr.write(text));

    expect(result.failures).toEqual([]);
    expect(result.kills).toBeGreaterThanOrEqual(profile.kills);
    expect(result.postgresRestarts).toBe(1);
    expect(result.redisFlushes).toBe(1);
    // Every app was killed at least once (the kill order is a shuffled round over the four).
    expect(Object.values(result.killsByApp).every((n) => n >= 1)).toBe(true);
    const figures = result.invariants!.figures;
    expect(figures.expectedCases).toBeGreaterThan(20);
    expect(figures.cases).toBe(figures.expectedCases);
    expect(figures.deadlinesChecked).toBeGreaterThan(40);
    expect(Object.fromEntries(ZERO_FIGURES.map((f) => [f, figures[f]]))).toEqual(Object.fromEntries(ZERO_FIGURES.map((f) => [f, 0])));
  }, 200_000);
});
