import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { firstValueFrom, isObservable } from 'rxjs';

/** What a batch handler receives: one partition's messages, in offset order. */
export interface KafkaBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
}

export interface KafkaBatchControls {
  groupId: string;
  heartbeat(): Promise<void>;
  isStale(): boolean;
  isRunning(): boolean;
}

export class KafkaBatchContext extends BaseRpcContext<[KafkaBatch, KafkaBatchControls]> {
  get batch(): KafkaBatch {
    return this.args[0];
  }
  get controls(): KafkaBatchControls {
    return this.args[1];
  }
}

export interface KafkaBatchServerOptions {
  kafka: Kafka;
  groupId: string;
  /** Handler pattern (e.g. 'scan') → topic name. Only patterns with a handler are subscribed. */
  topics: Record<string, string>;
  partitionsConsumedConcurrently?: number;
  maxBytesPerPartition?: number;
  /** Longest a fetch waits for data (default 500 ms). */
  maxWaitTimeInMs?: number;
  fromBeginning?: boolean;
  onStarted?: (consumer: Consumer) => void;
}

/**
 * A NestJS transport that hands whole kafkajs batches to `@EventPattern` handlers.
 *
 * Nest's stock Kafka transport calls a handler per message; a stream of tens of thousands of
 * scans per second needs one database transaction per batch instead. Offsets are resolved and
 * committed only after the handler's promise resolves, so a crash before that replays the batch;
 * the handler makes that replay harmless (it records its own progress transactionally).
 */
export class KafkaBatchServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(KafkaBatchServer.name);
  private consumer: Consumer | null = null;

  constructor(private readonly options: KafkaBatchServerOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async start(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const subscribed = Object.entries(topics).filter(([pattern]) => this.getHandlerByPattern(pattern));
    if (subscribed.length === 0) throw new Error(`KafkaBatchServer(${groupId}): no @EventPattern handler for ${Object.keys(topics).join(', ')}`);
    const patternByTopic = new Map(subscribed.map(([pattern, topic]) => [topic, pattern]));

    const consumer = kafka.consumer({
      groupId,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      // A broker answers a fetch once minBytes (1) are there; one that ignores minBytes (librdkafka's mock cluster)
      // holds every fetch for the whole wait, which kafkajs sets to 5 s: the first message after a quiet spell then
      // waits up to 5 s. Half a second bounds that at little cost (an idle consumer fetches twice a second).
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 500,
      // A crashed member holds its partitions until the session times out: keep failover short.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...patternByTopic.keys()], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.handleBatch(payload, patternByTopic.get(payload.batch.topic)!),
    });
    this.options.onStarted?.(consumer);
    this.log.log(`consuming ${[...patternByTopic.keys()].join(', ')} as group ${groupId}`);
  }

  private async handleBatch(payload: EachBatchPayload, pattern: string): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const handler = this.getHandlerByPattern(pattern)!;
    const data: KafkaBatch = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      messages: batch.messages,
    };
    const context = new KafkaBatchContext([data, { groupId: this.options.groupId, heartbeat, isRunning, isStale }]);
    const result = await handler(data, context);
    if (isObservable(result)) await firstValueFrom(result, { defaultValue: undefined });
    const last = batch.messages[batch.messages.length - 1]!.offset;
    resolveOffset(last);
    // Committed explicitly (with autoCommit off, kafkajs's commitOffsetsIfNecessary never commits): Kafka's
    // committed offset is what lag monitoring reads and where a restarted member resumes. A revoked partition
    // cannot commit: its new owner resumes from there and skips what the handler's own progress says is done.
    await this.consumer
      ?.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }])
      .catch((error: Error) => this.log.warn(`offset commit skipped: ${error.message}`));
  }

  async close(): Promise<void> {
    // kafkajs waits for the batch in flight, so SIGTERM finishes it, commits and then leaves the group.
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  on(): void {
    throw new Error('KafkaBatchServer does not emit status events');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('KafkaBatchServer is not listening');
    return this.consumer as T;
  }
}
