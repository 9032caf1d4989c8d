import { SITE_BOUND_ROLES, type ApiRole } from '#persistence';

/** The authenticated caller of a request. */
export interface Principal {
  userId: string;
  name: string;
  role: ApiRole;
  /** The branch or hub of BRANCH_STAFF and HUB_STAFF; null for HQ and OPS, who see every site. */
  siteCode: string | null;
  tokenId: string;
}

/** rules §6: branch and hub staff see only their site's cases; HQ and ops see all. */
export function isSiteBound(principal: Pick<Principal, 'role'>): boolean {
  return SITE_BOUND_ROLES.includes(principal.role);
}

/** Whether a case whose site columns are these lies in the caller's scope (rules §6). */
export function seesSites(principal: Pick<Principal, 'role' | 'siteCode'>, sites: readonly (string | null | undefined)[]): boolean {
  if (!isSiteBound(principal)) return true;
  return principal.siteCode !== null && sites.includes(principal.siteCode);
}

/**
 * Where a command made through the API comes from, in the terms of events.md: the caller's site for site staff,
 * `HQ` for HQ and ops (siteType HQ is allowed on replies and actions).
 */
export function commandOrigin(principal: Principal): { siteCode: string; siteType: 'BRANCH' | 'HUB' | 'HQ' } {
  switch (principal.role) {
    case 'BRANCH_STAFF':
      return { siteCode: principal.siteCode!, siteType: 'BRANCH' };
    case 'HUB_STAFF':
      return { siteCode: principal.siteCode!, siteType: 'HUB' };
    default:
      return { siteCode: 'HQ', siteType: 'HQ' };
  }
}
