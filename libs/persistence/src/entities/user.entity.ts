import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Staff API users and tokens (migration 1763910000000-api-users). */

export const API_ROLES = ['BRANCH_STAFF', 'HUB_STAFF', 'HQ', 'OPS'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Roles bound to one site: they see only that site's cases (rules §6). */
export const SITE_BOUND_ROLES: readonly ApiRole[] = ['BRANCH_STAFF', 'HUB_STAFF'];

@Entity({ name: 'api_user' })
export class ApiUserEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text' }) role: ApiRole;
  @Column({ name: 'site_code', type: 'text', nullable: true }) siteCode: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt: Date | null;
}

@Entity({ name: 'api_token' })
export class ApiTokenEntity {
  @PrimaryColumn({ name: 'token_id', type: 'uuid' }) tokenId: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId: string;
  /** SHA-256 (hex) of the token; the token itself is shown once, when it is issued, and never stored. */
  @Column({ name: 'token_sha256', type: 'text' }) tokenSha256: string;
  @Column({ type: 'text', nullable: true }) label: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt: Date | null;
}
