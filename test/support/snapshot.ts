import { withClient } from './database.js';

/** Removes fields that legitimately differ between two runs: processing times and per-run serials. */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) {
      if (['case_no', 'updated_at', 'created_at', 'inserted_at', 'received_at', 'id', 'snapshot'].includes(key)) continue;
      out[key] = scrub(inner);
    }
    return out;
  }
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * Everything the ingest path writes, projected on what does not depend on how the four input
 * topics happened to interleave (two healthy runs can differ there: a registration read before or
 * after a scan of another topic leaves a different path in the case timeline). What must be equal
 * between an interrupted and an uninterrupted run: every case, deadline and liability record; each
 * waybill's applied events (as a set) and version; the notifications (kind, target role, channel per
 * case, counted — a duplicate would show); the DLQ; and the outbox's notification and DLQ messages.
 */
/**
 * The eventIds a waybill_state row `w` has applied: its snapshot's, and those of the journal entries after it
 * (how a run splits a waybill's inputs between snapshots and journal entries depends on its batches).
 */
export const APPLIED_EVENT_IDS = `(SELECT array_agg(DISTINCT e ORDER BY e) FROM (
    SELECT json_array_elements_text(w.state->'seenEventIds') AS e
    UNION ALL
    SELECT coalesce(j.input->'event'->>'eventId', j.input->>'eventId') FROM waybill_journal j
    WHERE j.waybill_no = w.waybill_no AND j.version > w.version - w.journaled) applied WHERE e IS NOT NULL)`;

const PROJECTIONS: Record<string, string> = {
  waybill_state: `SELECT waybill_no, version, ${APPLIED_EVENT_IDS} AS events FROM waybill_state w ORDER BY waybill_no`,
  problem_case: 'SELECT * FROM problem_case ORDER BY case_id',
  // Every case keeps a timeline (its path may differ with topic interleaving, its existence may not).
  cases_without_timeline: `SELECT case_id FROM problem_case c WHERE NOT EXISTS (SELECT 1 FROM case_timeline t WHERE t.case_id = c.case_id)`,
  deadline: 'SELECT * FROM deadline ORDER BY deadline_id',
  liability_record: 'SELECT * FROM liability_record ORDER BY record_id',
  notification: `SELECT case_id, kind, channel, target_role, count(*)::int AS n FROM notification GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  // Topic names without the run's TOPIC_PREFIX (each run has its own).
  dlq_record: `SELECT regexp_replace(topic, '^.*?(courier\\.)', '\\1') AS topic, partition, "offset", message_key, reason, field
               FROM dlq_record ORDER BY 1, partition, "offset"`,
  outbox: `SELECT topic_role, count(*)::int AS n FROM outbox WHERE topic_role IN ('notificationIntent', 'dlq') GROUP BY 1 ORDER BY 1`,
};

export async function snapshotDatabase(url: string): Promise<Record<string, unknown[]>> {
  return withClient(async (client) => {
    const result: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(PROJECTIONS)) result[name] = (await client.query(sql)).rows.map(scrub);
    return result;
  }, url);
}
