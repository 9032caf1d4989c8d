import type { EntityManager } from 'typeorm';

export interface EventClock {
  partitions: number;
  /**
   * The group's event-time clock: the newest event time of the slowest partition still behind its end offset, or,
   * once every partition has caught up, the newest event time applied. Null before the first event.
   */
  lowWatermark: Date | null;
  newest: Date | null;
  lastActivity: Date | null;
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
   * the slowest one sets it. Once every partition has caught up, the clock is the newest event time
   * applied — not the wall clock: a consumer that keeps up with a replay of a past day (or a site
   * uploading a day of backlog) is caught up and still in the past, and a deadline it has not
   * reached yet may still be met by the next message (rules §3: judged by event time).
   */
  static async eventClock(manager: Pick<EntityManager, 'query'>, groupId: string): Promise<EventClock> {
    const [row] = await manager.query(
      `SELECT coalesce(min(max_event_time) FILTER (WHERE next_offset < high_watermark), max(max_event_time)) AS low,
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
