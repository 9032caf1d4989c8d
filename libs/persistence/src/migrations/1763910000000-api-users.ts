import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff API: users, their bearer tokens, and evidence uploaded through the API.
 *
 * - Tokens are stored as SHA-256 digests only. They are 256-bit random values, so a fast digest is enough: there
 *   is nothing to brute-force, and a leaked table cannot be turned back into working tokens.
 * - Branch and hub staff are bound to one site (rules §6 access scope); HQ and ops are not.
 * - Evidence is immutable once stored (rules §4, 涂改无效): append-only like the liability records, with its
 *   SHA-256 kept beside the bytes; a correction is a new item.
 */
export class ApiUsers1763910000000 implements MigrationInterface {
  name = 'ApiUsers1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_user (
        user_id      uuid PRIMARY KEY,
        name         text NOT NULL UNIQUE,
        role         text NOT NULL CHECK (role IN ('BRANCH_STAFF', 'HUB_STAFF', 'HQ', 'OPS')),
        site_code    text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        disabled_at  timestamptz,
        CONSTRAINT api_user_site_matches_role
          CHECK ((role IN ('BRANCH_STAFF', 'HUB_STAFF')) = (site_code IS NOT NULL))
      )`);

    await q.query(`
      CREATE TABLE api_token (
        token_id      uuid PRIMARY KEY,
        user_id       uuid NOT NULL REFERENCES api_user (user_id),
        token_sha256  text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
        label         text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz,
        revoked_at    timestamptz,
        last_used_at  timestamptz
      )`);
    await q.query(`CREATE INDEX api_token_user ON api_token (user_id)`);

    await q.query(`
      CREATE TABLE case_evidence (
        evidence_id   uuid PRIMARY KEY,
        case_id       text NOT NULL,
        kind          text NOT NULL CHECK (kind IN ('PHOTO', 'LETTER', 'SMS_LOG', 'OTHER')),
        sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size_bytes    integer NOT NULL CHECK (size_bytes >= 0),
        media_type    text NOT NULL,
        file_name     text,
        note          text,
        content       bytea NOT NULL,
        uploaded_by   uuid NOT NULL REFERENCES api_user (user_id),
        uploader_name text NOT NULL,
        uploader_site text,
        uploaded_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (case_id, sha256)
      )`);
    await q.query(`CREATE TRIGGER case_evidence_append_only BEFORE UPDATE OR DELETE ON case_evidence
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS case_evidence`);
    await q.query(`DROP TABLE IF EXISTS api_token`);
    await q.query(`DROP TABLE IF EXISTS api_user`);
  }
}
