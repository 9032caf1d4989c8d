import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage of the waybill snapshots, which ingest rewrites on every event of a waybill (~3 KB of json each):
 *
 * - `json`, not `jsonb`: the snapshot is opaque to SQL (the engine reads it whole), and jsonb's conversion to its
 *   binary form on every write — and back to text on every read — was most of PostgreSQL's work per event;
 * - fillfactor 70 leaves room in each page, so the rewrite can be a HOT update (no new index entry);
 * - lz4 instead of the default pglz compresses several times faster. PostgreSQL builds without lz4 (or older than
 *   14) keep pglz: the statement is skipped with a notice, nothing else depends on it.
 */
export class WaybillStateStorage1763930000000 implements MigrationInterface {
  name = 'WaybillStateStorage1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE waybill_state ALTER COLUMN state TYPE json USING state::json`);
    await q.query(`ALTER TABLE waybill_state SET (fillfactor = 70)`);
    await q.query(`
      DO $$
      BEGIN
        EXECUTE 'ALTER TABLE waybill_state ALTER COLUMN state SET COMPRESSION lz4';
      EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'waybill_state.state keeps the default compression: %', SQLERRM;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE waybill_state ALTER COLUMN state TYPE jsonb USING state::jsonb`);
    await q.query(`ALTER TABLE waybill_state RESET (fillfactor)`);
    await q.query(`
      DO $$
      BEGIN
        EXECUTE 'ALTER TABLE waybill_state ALTER COLUMN state SET COMPRESSION default';
      EXCEPTION WHEN OTHERS THEN
        NULL;
      END $$`);
  }
}
