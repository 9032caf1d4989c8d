import { CompressionTypes, Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import type { Envelope } from '../generator.js';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  /** Prepended to every topic name (the services' TOPIC_PREFIX). */
  topicPrefix?: string;
  /** Messages per second; 0 = as fast as the broker takes them. */
  rate: number;
  /** Messages per `sendBatch`; defaults to a tenth of a second's worth at `rate`, or 1,000. */
  batchSize?: number;
  /**
   * Record-batch compression, gzip by default (kafkajs's built-in codec). Besides being what a production
   * producer does, it matters on librdkafka's mock cluster: the mock keeps only the newest 5 MiB (or 100 000
   * record batches) per partition and silently drops older ones, so an uncompressed day of 200k events produced
   * ahead of its consumers loses its beginning (~16 000 scans per partition fit; gzip fits ~8x more).
   */
  compression?: 'gzip' | 'none';
  /** Called after every acknowledged batch. */
  onProgress?: (sent: number, total: number) => void;
}

/** The message value as produced: events as JSON, a malformed message's raw text as it is. */
export function messageValue(envelope: Envelope): string {
  return typeof envelope.value === 'string' ? envelope.value : JSON.stringify(envelope.value);
}

/**
 * Produces the envelopes in stream order: keyed by waybillNo, batched, acks from all in-sync replicas, gzip
 * record batches. Batches are sent one at a time so the order per partition is the stream order. Deliberately
 * thin: the services' consumers are what is under test.
 */
export async function produceToKafka(envelopes: readonly Envelope[], options: KafkaSinkOptions): Promise<{ sent: number; elapsedMs: number }> {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'courier-simulator',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
  });
  // Not idempotent: librdkafka's mock cluster refuses idempotent producers, and the consumers ignore
  // redelivered eventIds anyway.
  const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
  const batchSize = options.batchSize ?? (options.rate > 0 ? Math.min(1_000, Math.max(1, Math.round(options.rate / 10))) : 1_000);
  const prefix = options.topicPrefix ?? '';
  const started = Date.now();
  await producer.connect();
  try {
    let sent = 0;
    while (sent < envelopes.length) {
      const batch = envelopes.slice(sent, sent + batchSize);
      const byTopic = new Map<string, Message[]>();
      for (const envelope of batch) {
        const topic = prefix + envelope.topic;
        let messages = byTopic.get(topic);
        if (!messages) byTopic.set(topic, (messages = []));
        messages.push({ key: envelope.key, value: messageValue(envelope) });
      }
      await producer.sendBatch({
        acks: -1,
        compression: options.compression === 'none' ? CompressionTypes.None : CompressionTypes.GZIP,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      sent += batch.length;
      options.onProgress?.(sent, envelopes.length);
      if (options.rate > 0) {
        const dueAt = started + (sent / options.rate) * 1000;
        const wait = dueAt - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    return { sent, elapsedMs: Date.now() - started };
  } finally {
    await producer.disconnect();
  }
}
