import type { Admin } from 'kafkajs';

export interface PartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  latest: number;
  committed: number;
  lag: number;
}

/**
 * Lag = latest offset − committed offset, per group and partition (the two admin calls that work
 * on every broker, the mock cluster included). A partition never committed counts from 0.
 */
export async function consumerLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const result: PartitionLag[] = [];
  const committed = await admin.fetchOffsets({ groupId, topics });
  for (const { topic, partitions } of committed) {
    const latest = await admin.fetchTopicOffsets(topic);
    const latestByPartition = new Map(latest.map((p) => [p.partition, Number(p.high)]));
    for (const { partition, offset } of partitions) {
      const high = latestByPartition.get(partition) ?? 0;
      const done = Number(offset) < 0 ? 0 : Number(offset);
      result.push({ groupId, topic, partition, latest: high, committed: done, lag: Math.max(0, high - done) });
    }
  }
  return result;
}
