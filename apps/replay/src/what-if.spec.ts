import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplayDiff, ReplayResult } from '#domain';
import { runReplayCli } from './cli.js';

/*
 * The replay CLI in-process on a hand-written day (fixtures/what-if.ndjson) with the real engine:
 *   ZT1000000001  failed delivery 23 Nov 17:00, registered 17:30; the origin branch replies 24 Nov 09:00.
 *                 With d5 = 24 h the reply is in time; with d5 = 12 h it was due 05:30.
 *   ZT1000000002  hub arrival 09:30, damage registered by the hub at 10:30: late for a 10:00 D2 cutoff,
 *                 in time for an 11:00 one.
 * plus one message whose key differs from its waybill number (rejected under every policy).
 */

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const EVENTS = fixture('what-if.ndjson');
const POLICY_A = fixture('policy-a.json');
const UNTIL = ['--until', '2026-11-25T00:00:00+08:00'];
const W1 = 'ZT1000000001';
const W2 = 'ZT1000000002';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runReplayCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

async function whatIf(policyB: string): Promise<ReplayDiff> {
  const { code, stdout, stderr } = await run(['--events', EVENTS, '--policy', POLICY_A, '--policy', fixture(policyB), ...UNTIL, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as ReplayDiff;
}

const row = (diff: ReplayDiff, metric: string) => diff.summary.find((r) => r.metric === metric);

describe('replay what-if', () => {
  it('shows what a 12 h D5 changes: the reply comes too late, the origin branch is liable', async () => {
    const diff = await whatIf('policy-d5-12h.json');
    expect(diff.a.version).toBe('what-if-a');
    expect(diff.b.version).toBe('what-if-d5-12h');
    expect(diff.waybills.map((w) => w.waybillNo)).toEqual([W1]);
    const [w1] = diff.waybills;

    const d5 = w1.deadlinesChanged.find((d) => d.rule === 'D5');
    expect(d5?.changes).toEqual(
      expect.arrayContaining([
        { field: 'dueAt', a: '2026-11-24T09:30:00.000Z', b: '2026-11-23T21:30:00.000Z' }, // 17:30 next day → 05:30 local
        { field: 'status', a: 'MET', b: 'MISSED' },
      ]),
    );
    expect(w1.liabilitiesAdded.map((l) => [l.rule, l.party, l.siteCode])).toEqual([['D5', 'OB', 'B01']]);
    expect(w1.liabilitiesRemoved).toEqual([]);
    expect(w1.casesOnlyInA).toEqual([]);
    expect(w1.casesOnlyInB).toEqual([]);
    expect(w1.casesChanged[0].changes).toContainEqual({ field: 'flags.noReply', a: false, b: true });
    expect(w1.notificationsRemoved).toEqual([]);
    expect(w1.notificationsAdded.length).toBeGreaterThan(0);

    expect(row(diff, 'overdue.D5')).toEqual({ metric: 'overdue.D5', a: 0, b: 1, delta: 1 });
    expect(row(diff, 'liabilities.OB')).toEqual({ metric: 'liabilities.OB', a: 0, b: 1, delta: 1 });
    expect(row(diff, 'liabilities.HUB')).toEqual({ metric: 'liabilities.HUB', a: 1, b: 1, delta: 0 });
    expect(row(diff, 'rejected')).toEqual({ metric: 'rejected', a: 1, b: 1, delta: 0 });
  });

  it('shows what an 11:00 D2 cutoff changes: the hub registration is in time, no hub liability', async () => {
    const diff = await whatIf('policy-d2-1100.json');
    expect(diff.waybills.map((w) => w.waybillNo)).toEqual([W2]);
    const [w2] = diff.waybills;

    const d2 = w2.deadlinesChanged.find((d) => d.rule === 'D2');
    expect(d2?.changes).toEqual(
      expect.arrayContaining([
        { field: 'dueAt', a: '2026-11-23T02:00:00.000Z', b: '2026-11-23T03:00:00.000Z' },
        { field: 'status', a: 'MISSED', b: 'MET' },
      ]),
    );
    expect(w2.liabilitiesRemoved.map((l) => [l.rule, l.party, l.siteCode, l.minutesLate])).toEqual([['D2', 'HUB', 'H01', 30]]);
    expect(w2.liabilitiesAdded).toEqual([]);
    expect(w2.notificationsAdded).toEqual([]);
    expect(w2.notificationsRemoved.map((n) => n.kind)).toContain('OVERDUE');
    expect(row(diff, 'overdue.D2')).toEqual({ metric: 'overdue.D2', a: 1, b: 0, delta: -1 });
    expect(row(diff, 'liabilities.HUB')).toEqual({ metric: 'liabilities.HUB', a: 1, b: 0, delta: -1 });
  });

  it('prints a readable report with local times by default', async () => {
    const { code, stdout } = await run(['--events', EVENTS, '--policy', POLICY_A, '--policy', fixture('policy-d5-12h.json'), ...UNTIL]);
    expect(code).toBe(0);
    expect(stdout).toContain('B: ');
    expect(stdout).toMatch(/overdue\.D5 +0 +1 +\+1/);
    expect(stdout).toContain('1 waybills differ');
    expect(stdout).toContain(`${W1}\n`);
    expect(stdout).toMatch(/~ deadline \S+ D5: dueAt 2026-11-24 17:30:00\.000 \+08:00 -> 2026-11-24 05:30:00\.000 \+08:00; status MET -> MISSED/);
    expect(stdout).toMatch(/\+ liability \S+ RECORD D5 OB B01 \(only in B\)/);
  });

  it('finds no difference between a policy and itself', async () => {
    const { code, stdout } = await run(['--events', EVENTS, '--policy', POLICY_A, '--policy', POLICY_A, ...UNTIL]);
    expect(code).toBe(0);
    expect(stdout).toContain('No differences');
  });
});

describe('replay single run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'replay-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the result as JSON and a summary to stderr', async () => {
    const { code, stdout, stderr } = await run(['--events', EVENTS, '--policy', POLICY_A, ...UNTIL]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ReplayResult;
    expect(result.counts).toMatchObject({ messages: 16, events: 15, rejected: 1, waybills: 2 });
    expect(result.cases.map((c) => [c.waybillNo, c.caseClass, c.caseNo])).toEqual([
      [W2, 'DAMAGE', 'PI-202611-0000001'],
      [W1, 'FAILED_DELIVERY', 'PI-202611-0000002'],
    ]);
    expect(result.watermark).toBe('2026-11-24T16:00:00.000Z');
    expect(stderr).toContain('policy what-if-a');
    expect(stderr).toMatch(/cases per class +count/);
    expect(stderr).toMatch(/liabilities per party +count\nHUB +1/);
  });

  it('writes the result to --out', async () => {
    const out = join(dir, 'result.json');
    const { code, stdout } = await run(['--events', EVENTS, '--policy', POLICY_A, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const result = JSON.parse(await readFile(out, 'utf8')) as ReplayResult;
    // Without --until the clock stops at the last valid event (14:00); the rejected 14:30 message does not move it.
    expect(result.watermark).toBe('2026-11-24T06:00:00.000Z');
    expect(result.cases.map((c) => [c.caseNo, c.state, c.outcome])).toEqual([
      ['PI-202611-0000001', 'CLOSED', 'DELIVERED'],
      ['PI-202611-0000002', 'CLOSED', 'DELIVERED'],
    ]);
  });

  it.each([
    [['--policy', 'a.json'], '--events is required'],
    [['--events', 'x.ndjson'], 'give one --policy, or two'],
    [['--events', 'x.ndjson', '--policy', 'a', '--policy', 'b', '--policy', 'c'], 'give one --policy, or two'],
    [['--events', 'x.ndjson', '--policy', 'a', '--until', '2026-11-25T00:00:00'], '--until: time "2026-11-25T00:00:00" has no UTC offset'],
    [['--events', 'x.ndjson', '--policy', 'a', '--json'], '--json only applies to a what-if comparison'],
    [['--events', 'x.ndjson', '--policy', 'a', '--verbose'], "Unknown option '--verbose'"],
  ])('rejects %j as a usage error', async (argv, message) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage:');
  });

  it('names the invalid fields of a bad policy', async () => {
    const bad = join(dir, 'bad-policy.json');
    await writeFile(bad, JSON.stringify({ version: 'bad', timeZone: 'Mars/Base', d2CutoffTime: '25:00' }));
    const { code, stderr } = await run(['--events', EVENTS, '--policy', bad]);
    expect(code).toBe(1);
    expect(stderr).toContain(`invalid policy (${bad})`);
    expect(stderr).toContain('timeZone: unknown IANA zone "Mars/Base"');
    expect(stderr).toContain('d2CutoffTime: must be HH:mm');
  });

  it('reports an unreadable events file', async () => {
    const { code, stderr } = await run(['--events', join(dir, 'missing.ndjson'), '--policy', POLICY_A]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^replay: ENOENT/);
  });
});
