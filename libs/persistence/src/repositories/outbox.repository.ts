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
  payload: unknown;
}

/**
 * The transactional outbox: rows are written in the same transaction as the state they describe
 * and published afterwards, so a crash can delay a message but never lose or invent one.
 */
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  static async append(manager: EntityManager, entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await manager.query(
      `INSERT INTO outbox (topic_role, message_key, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`,
      [entries.map((e) => e.topicRole), entries.map((e) => e.key), entries.map((e) => JSON.stringify(e.payload))],
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
      const rows: { id: string; topic_role: string; message_key: string; payload: unknown }[] = await manager.query(
        `SELECT id, topic_role, message_key, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({ id: r.id, topicRole: r.topic_role, key: r.message_key, payload: r.payload })));
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
