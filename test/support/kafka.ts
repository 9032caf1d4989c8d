import { Kafka, logLevel, Partitioners } from 'kafkajs';

export function brokers(): string[] {
  const list = process.env.KAFKA_BROKERS;
  if (!list) throw new Error('KAFKA_BROKERS is not set: run the tests through `npm test` (it starts the Kafka mock cluster)');
  return list.split(',');
}

export function testKafka(clientId = 'test'): Kafka {
  return new Kafka({ brokers: brokers(), clientId, logLevel: logLevel.NOTHING });
}

/** Produces raw messages (`value` may be any string, for bad-input tests) keyed as given. */
export async function produce(
  topic: string,
  messages: { key: string | null; value: string | Buffer | null; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = testKafka('test-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** A run-unique topic prefix, so tests sharing one broker never see each other's messages. */
export function uniquePrefix(label: string): string {
  return `t${Date.now().toString(36)}${label}.`;
}
