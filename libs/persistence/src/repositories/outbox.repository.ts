import type { DataSource, EntityManager } from 'typeorm';

export interface OutboxEntry {
  /** Logical topic (`case`, `dlq`, `deadlineIntent`, `notificationIntent` …): the relay maps it to a topic name. */
  topicRole: string;
  key: string;
  payload: unknown;
}

export interface PendingOutboxRow {
  id: string;
  topicRole: string;
  key: string;
  /** The payload as JSON text, ready to publish (read as text: no parse and re-serialisation on the way). */
  value: string;
}

/**
 * The transactional outbox: rows are written in the same transaction as the state they describe
 * and published afterwards, so a crash can delay a message but never lose or invent one.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  static async append(manager: EntityManager, entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // One json document for all rows (see DecisionRepository); rows keep the array's order, so ids do too.
    const rows = entries.map((e) => ({ topic_role: e.topicRole, message_key: e.key, payload: e.payload }));
    await manager.query(
      `INSERT INTO outbox (topic_role, message_key, payload)
       SELECT topic_role, message_key, payload FROM jsonb_to_recordset($1::jsonb) AS s(topic_role text, message_key text, payload jsonb)`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * Publishes up to `limit` rows in id order. The advisory lock makes one relay the publisher at a
   * time across processes, which keeps per-key order; `publish` must complete before the rows are
   * marked, so a crash in between republishes them (consumers dedupe by deterministic ids).
   */
  async relayOnce(limit: number, publish: (rows: PendingOutboxRow[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock(742001) AS locked`);
      if (!locked) return 0;
      const rows: { id: string; topic_role: string; message_key: string; value: string }[] = await manager.query(
        `SELECT id, topic_role, message_key, payload::text AS value FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({ id: r.id, topicRole: r.topic_role, key: r.message_key, value: r.value })));
      await manager.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  async backlog(): Promise<number> {
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`);
    return count;
  }

  /** Published rows are kept a while for audit, then pruned. */
  async prunePublished(olderThanHours: number): Promise<number> {
    const result = await this.dataSource.query(
      `DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)`,
      [olderThanHours],
    );
    return result[1] ?? 0;
  }
}
