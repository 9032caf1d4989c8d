import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedHubsFor, loadPolicy } from '#domain';
import { BRANCH_WITHOUT_SUPERVISOR, BRANCHES_WITHOUT_ROUTE, buildNetwork, writePolicyFile } from './network.js';

describe('buildNetwork', () => {
  const network = buildNetwork({ seed: 42 });

  it('has six hubs and forty branches with site codes like H01 and B0101', () => {
    expect(network.hubs.map((hub) => hub.code)).toEqual(['H01', 'H02', 'H03', 'H04', 'H05', 'H06']);
    expect(network.branches).toHaveLength(40);
    for (const branch of network.branches) {
      expect(branch.code).toMatch(/^B0\d0\d$/);
      expect(branch.code.slice(1, 3)).toBe(branch.homeHub.slice(1));
      expect(branch.couriers.length).toBeGreaterThanOrEqual(4);
    }
  });

  it('routes every planned waybill only through hubs allowed on the way to its delivering branch', () => {
    for (const origin of network.branches) {
      for (const destination of network.destinationsFrom(origin.code)) {
        const path = network.hubPath(origin.code, destination.code);
        expect(path.length).toBeGreaterThanOrEqual(1);
        expect(path.length).toBeLessThanOrEqual(2);
        const allowed = network.hubRoutesFor(destination.code);
        for (const hub of path) expect(allowed).toContain(hub);
      }
    }
  });

  it('leaves hubs off the route of branches served by a ring hub (so a MISSENT by hub arrival can happen)', () => {
    const ringBranch = network.branches.find((branch) => branch.homeHub === 'H04')!;
    expect(network.hubsOffRouteFor(ringBranch.code)).toEqual(['H02', 'H06']);
    const centralBranch = network.branches.find((branch) => branch.homeHub === 'H01')!;
    expect(network.hubsOffRouteFor(centralBranch.code)).toEqual([]);
  });

  it('writes a policy that loadPolicy accepts and that agrees with the model', () => {
    const policy = loadPolicy(network.toPolicyDocument());
    expect(policy.timeZone).toBe('Asia/Shanghai');
    expect(Object.keys(policy.sites)).toHaveLength(46);
    for (const branch of network.branches) {
      expect(allowedHubsFor(policy, branch.code)).toEqual(network.hubRoutesFor(branch.code));
      expect(policy.sites[branch.code]!.departures).toEqual(branch.departures);
    }
    const routed = new Set(policy.routes.map((route) => route.to));
    for (const code of BRANCHES_WITHOUT_ROUTE) expect(routed.has(code)).toBe(false);
    expect(policy.routes).toHaveLength(40 - BRANCHES_WITHOUT_ROUTE.length);
    expect(policy.sites[BRANCH_WITHOUT_SUPERVISOR]!.staff?.supervisor).toBeUndefined();
    expect(policy.sites.B0101!.staff).toMatchObject({ supervisor: expect.any(String), finance: expect.any(String), reconciliation: expect.any(String) });
    expect(policy.calendar.holidays).toContain('2026-10-01');
    expect(policy.calendar.holidays).toContain('2026-02-17');
    expect(policy.calendar.extraWorkingDays).toContain('2026-09-20');
    expect(policy.sms.brands[policy.sms.defaultBrand]!.templates.default).toContain('{waybillNo}');
  });

  it('is deterministic by seed', () => {
    expect(buildNetwork({ seed: 42 }).toPolicyDocument()).toEqual(network.toPolicyDocument());
    expect(buildNetwork({ seed: 43 }).toPolicyDocument()).not.toEqual(network.toPolicyDocument());
  });

  it('writes the policy file after validating it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'simulator-policy-'));
    try {
      const path = join(directory, 'nested', 'policy.json');
      const written = await writePolicyFile(path, network);
      expect(loadPolicy(JSON.parse(await readFile(path, 'utf8')))).toEqual(written);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
