import type { EntityManager } from 'typeorm';

export interface DlqRow {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
  field: string | null;
}

/**
 * Consumer progress kept in PostgreSQL, in the same transaction as the effects of the messages:
 * this is what makes effects exactly-once although Kafka delivers at least once.
 */
export class StreamProgressRepository {
  /** Locks the partition's progress row: a second consumer of the same partition (mid-rebalance) waits here. */
  static async lockNextOffset(manager: EntityManager, groupId: string, topic: string, partition: number): Promise<bigint> {
    await manager.query(
      `INSERT INTO consumer_offset (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING`,
      [groupId, topic, partition],
    );
    const [row] = await manager.query(
      `SELECT next_offset FROM consumer_offset WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
      [groupId, topic, partition],
    );
    return BigInt(row.next_offset);
  }

  static async saveNextOffset(manager: EntityManager, groupId: string, topic: string, partition: number, next: bigint): Promise<void> {
    await manager.query(
      `UPDATE consumer_offset SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [groupId, topic, partition, next.toString()],
    );
  }

  static async insertDlq(manager: EntityManager, rows: DlqRow[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO dlq_record (topic, partition, "offset", message_key, reason, field)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[])
       ON CONFLICT DO NOTHING`,
      [rows.map((r) => r.topic), rows.map((r) => r.partition), rows.map((r) => r.offset), rows.map((r) => r.key),
        rows.map((r) => r.reason), rows.map((r) => r.field)],
    );
  }

  /** The event-time clock only moves forward. */
  static async advanceWatermark(manager: EntityManager, name: string, eventTime: Date): Promise<void> {
    await manager.query(
      `INSERT INTO stream_clock (name, watermark) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET watermark = GREATEST(stream_clock.watermark, EXCLUDED.watermark), updated_at = now()`,
      [name, eventTime],
    );
  }
}
