import { commandOrigin, seesSites, type Principal } from './principal.js';
import { generateToken, hashToken, looksLikeToken } from './tokens.js';

const principal = (role: Principal['role'], siteCode: string | null): Principal => ({ userId: 'u', name: 'n', role, siteCode, tokenId: 't' });

describe('access scope (rules §6)', () => {
  it('limits branch and hub staff to their site, and lets HQ and ops see all', () => {
    expect(seesSites(principal('BRANCH_STAFF', 'SHB001'), ['SHB002', 'SHB001', null])).toBe(true);
    expect(seesSites(principal('BRANCH_STAFF', 'SHB001'), ['SHB002', 'HZB001', null])).toBe(false);
    expect(seesSites(principal('HUB_STAFF', 'SHH01'), ['SHH01'])).toBe(true);
    expect(seesSites(principal('HQ', null), ['HZB001'])).toBe(true);
    expect(seesSites(principal('OPS', null), [])).toBe(true);
  });

  it('sends commands from the caller’s site, or from HQ', () => {
    expect(commandOrigin(principal('BRANCH_STAFF', 'SHB001'))).toEqual({ siteCode: 'SHB001', siteType: 'BRANCH' });
    expect(commandOrigin(principal('HUB_STAFF', 'SHH01'))).toEqual({ siteCode: 'SHH01', siteType: 'HUB' });
    expect(commandOrigin(principal('OPS', null))).toEqual({ siteCode: 'HQ', siteType: 'HQ' });
  });
});

describe('tokens', () => {
  it('are 256-bit random, recognisable, and stored as their SHA-256 only', () => {
    const [a, b] = [generateToken(), generateToken()];
    expect(a).not.toBe(b);
    expect(looksLikeToken(a)).toBe(true);
    expect(looksLikeToken("cps_' OR 1=1")).toBe(false);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(a)).not.toContain(a.slice(4));
  });
});
