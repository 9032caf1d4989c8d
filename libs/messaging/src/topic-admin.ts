import type { Kafka } from 'kafkajs';
import { Logger } from '@nestjs/common';

const logger = new Logger('TopicAdmin');

/**
 * Creates the topics with an explicit partition count and replication factor (older brokers reject
 * the defaults). Where the broker refuses topic creation through the admin API (librdkafka's mock
 * cluster does), it falls back to auto-creation through a metadata request and says so.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  { numPartitions = 4, replicationFactor = 1 }: { numPartitions?: number; replicationFactor?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })),
      });
    } catch (error) {
      logger.warn(
        `createTopics failed (${(error as Error).message}); relying on broker auto-creation for ${missing.join(', ')}`,
      );
      await admin.fetchTopicMetadata({ topics: missing });
    }
  } finally {
    await admin.disconnect();
  }
}
