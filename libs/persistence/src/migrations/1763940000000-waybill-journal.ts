import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The waybill journal: most events change a waybill's state without touching a case (a hub scan, a departure, a
 * DWELL timer met). Rewriting the whole snapshot (~2.6 KB of json) for each of them was most of the ingest path's
 * cost, in Node (serialising) and in PostgreSQL (parsing, compressing, logging it). Such an event is appended to
 * `waybill_journal` instead (the validated engine input, ~0.4 KB), and the snapshot row only gets its new version.
 *
 * - `waybill_state.version` stays the waybill's current version (every writer's optimistic or locked check);
 * - `waybill_state.journaled` counts the journal entries after the snapshot: `state` is the state at
 *   `version - journaled`, and folding the entries (version order) through the pure engine gives the current one;
 * - a writer of a snapshot sets `journaled = 0` and removes the entries it supersedes.
 */
export class WaybillJournal1763940000000 implements MigrationInterface {
  name = 'WaybillJournal1763940000000';

  async up(q: QueryRunner): Promise<void> {
    // A constant default: existing rows get it without a table rewrite (their snapshot is their current state).
    await q.query(`ALTER TABLE waybill_state ADD COLUMN journaled integer NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE waybill_journal (
        waybill_no  text NOT NULL,
        version     integer NOT NULL,
        input       json NOT NULL,
        PRIMARY KEY (waybill_no, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE waybill_journal`);
    await q.query(`ALTER TABLE waybill_state DROP COLUMN journaled`);
  }
}
