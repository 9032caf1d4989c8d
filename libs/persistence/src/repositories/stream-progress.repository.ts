import type { EntityManager } from 'typeorm';

export interface EventClock {
  partitions: number;
  /** Event time of the slowest partition still behind; null when all have caught up. */
  lowWatermark: Date | null;
  newest: Date | null;
  lastActivity: Date | null;
}

/** One partition's committed progress (the row ingest writes with every batch). */
export interface PartitionProgress {
  topic: string;
  partition: number;
  nextOffset: bigint;
  /** The partition's end offset as seen with the last batch. */
  highWatermark: bigint;
  maxEventTime: Date | null;
  updatedAt: Date;
}

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
    // One round trip: the no-op update takes the row lock (and creates the row the first time).
    const [row] = await manager.query(
      `INSERT INTO consumer_offset AS o (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = o.next_offset
       RETURNING next_offset`,
      [groupId, topic, partition],
    );
    return BigInt(row.next_offset);
  }

  static async saveProgress(
    manager: EntityManager,
    groupId: string,
    topic: string,
    partition: number,
    progress: { nextOffset: bigint; highWatermark: bigint; maxEventTime: Date | null },
  ): Promise<void> {
    await manager.query(
      `UPDATE consumer_offset SET next_offset = $4, high_watermark = GREATEST(high_watermark, $5),
         max_event_time = GREATEST(max_event_time, $6), updated_at = now()
       WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [groupId, topic, partition, progress.nextOffset.toString(), progress.highWatermark.toString(), progress.maxEventTime],
    );
  }

  /**
   * The stream's event-time clock for a consumer group. Partitions that have caught up with their
   * end offset cannot hold it back (they have nothing older to deliver); among those still behind,
   * the slowest one sets it. `lowWatermark` is null when every partition has caught up.
   */
  static async eventClock(manager: Pick<EntityManager, 'query'>, groupId: string): Promise<EventClock> {
    const [row] = await manager.query(
      `SELECT min(max_event_time) FILTER (WHERE next_offset < high_watermark) AS low,
              max(max_event_time) AS newest, max(updated_at) AS last_activity, count(*)::int AS partitions
       FROM consumer_offset WHERE group_id = $1`,
      [groupId],
    );
    return {
      partitions: row.partitions,
      lowWatermark: row.low ? new Date(row.low) : null,
      newest: row.newest ? new Date(row.newest) : null,
      lastActivity: row.last_activity ? new Date(row.last_activity) : null,
    };
  }

  /** Every partition's committed progress for a consumer group. */
  static async partitionProgress(manager: Pick<EntityManager, 'query'>, groupId: string): Promise<PartitionProgress[]> {
    const rows: { topic: string; partition: number; next_offset: string; high_watermark: string; max_event_time: Date | null; updated_at: Date }[] =
      await manager.query(
        `SELECT topic, partition, next_offset, high_watermark, max_event_time, updated_at FROM consumer_offset WHERE group_id = $1`,
        [groupId],
      );
    return rows.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      nextOffset: BigInt(r.next_offset),
      highWatermark: BigInt(r.high_watermark),
      maxEventTime: r.max_event_time ? new Date(r.max_event_time) : null,
      updatedAt: new Date(r.updated_at),
    }));
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

}
