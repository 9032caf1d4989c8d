import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { SITE_CODE_PATTERN } from '#contracts';
import { API_ROLES, ApiTokenEntity, ApiUserEntity, SITE_BOUND_ROLES, type ApiRole } from '#persistence';
import type { Principal } from './principal.js';
import { generateToken, hashToken, looksLikeToken } from './tokens.js';

export const newUserSchema = z
  .object({
    name: z
      .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters'),
    role: z.enum(API_ROLES, { error: (issue) => `${JSON.stringify(issue.input)} is not one of ${API_ROLES.join(', ')}` }),
    siteCode: z.string().regex(SITE_CODE_PATTERN, 'must match [A-Za-z0-9_-]{1,32}').nullish(),
  })
  .superRefine((user, ctx) => {
    const bound = SITE_BOUND_ROLES.includes(user.role);
    if (bound && !user.siteCode) {
      ctx.addIssue({ code: 'custom', path: ['siteCode'], message: `required for role ${user.role}` });
    }
    if (!bound && user.siteCode) {
      ctx.addIssue({ code: 'custom', path: ['siteCode'], message: `role ${user.role} sees every site and takes no site` });
    }
  });
export type NewUser = z.input<typeof newUserSchema>;

export interface IssuedToken {
  /** The bearer token: shown once, never stored. */
  token: string;
  tokenId: string;
  expiresAt: Date | null;
}

export class UserConflictError extends Error {}

/**
 * Users and their bearer tokens. A plain class over the DataSource so that the `create-user` command and the
 * HTTP app share it.
 */
export class UsersService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates the user, or returns the existing one of that name when its role and site are the same (so the demo
   * can run twice). A name already used with another role or site is refused.
   */
  async ensureUser(input: NewUser): Promise<{ user: ApiUserEntity; created: boolean }> {
    const wanted = newUserSchema.parse(input);
    const siteCode = wanted.siteCode ?? null;
    const users = this.dataSource.getRepository(ApiUserEntity);
    const existing = await users.findOneBy({ name: wanted.name });
    if (existing) {
      if (existing.role !== wanted.role || existing.siteCode !== siteCode) {
        throw new UserConflictError(
          `user "${wanted.name}" already exists as ${existing.role}${existing.siteCode ? ` of ${existing.siteCode}` : ''}`,
        );
      }
      return { user: existing, created: false };
    }
    const user = users.create({ userId: randomUUID(), name: wanted.name, role: wanted.role, siteCode, disabledAt: null });
    await users.insert(user);
    return { user: (await users.findOneByOrFail({ userId: user.userId })) as ApiUserEntity, created: true };
  }

  async issueToken(userId: string, options: { label?: string; ttlDays?: number | null } = {}): Promise<IssuedToken> {
    const token = generateToken();
    const expiresAt = options.ttlDays ? new Date(Date.now() + options.ttlDays * 86_400_000) : null;
    const entity: Partial<ApiTokenEntity> = {
      tokenId: randomUUID(),
      userId,
      tokenSha256: hashToken(token),
      label: options.label ?? null,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.dataSource.getRepository(ApiTokenEntity).insert(entity);
    return { token, tokenId: entity.tokenId!, expiresAt };
  }

  /** The principal a bearer token stands for, or null when it is unknown, revoked, expired or its user disabled. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null;
    const rows: { user_id: string; name: string; role: ApiRole; site_code: string | null; token_id: string; stale: boolean }[] =
      await this.dataSource.query(
        `SELECT u.user_id, u.name, u.role, u.site_code, t.token_id,
                (t.last_used_at IS NULL OR t.last_used_at < now() - interval '5 minutes') AS stale
           FROM api_token t JOIN api_user u ON u.user_id = t.user_id
          WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL
            AND (t.expires_at IS NULL OR t.expires_at > now())`,
        [hashToken(token)],
      );
    const row = rows[0];
    if (!row) return null;
    if (row.stale) {
      // Coarse last-use stamp (at most one write per token per 5 minutes): enough to find unused tokens.
      await this.dataSource.query(`UPDATE api_token SET last_used_at = now() WHERE token_id = $1`, [row.token_id]);
    }
    return { userId: row.user_id, name: row.name, role: row.role, siteCode: row.site_code, tokenId: row.token_id };
  }

  async revokeToken(tokenId: string): Promise<void> {
    await this.dataSource.query(`UPDATE api_token SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL`, [tokenId]);
  }
}
