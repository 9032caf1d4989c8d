import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rules §6: branch staff see the cases where their branch is the OB, the DB or *a* registering site. A case can be
 * registered by several sites (a hub and the branch a missent item reached, say), while `reported_by_site` keeps only
 * the first. The staff API matches the sites of every registration in the case snapshot; this index keeps that
 * match an index scan (it is OR-ed with the per-column indexes of the site columns).
 */
export class CaseRegisteringSites1763920000000 implements MigrationInterface {
  name = 'CaseRegisteringSites1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX problem_case_registering_sites ON problem_case
      USING gin (jsonb_path_query_array(snapshot, '$.data.registrations[*].site'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS problem_case_registering_sites`);
  }
}
