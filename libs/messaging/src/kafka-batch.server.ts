import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { Gauge, register } from 'prom-client';
import { firstValueFrom, isObservable } from 'rxjs';
import { consumerLag } from './consumer-lag.js';

/** How many partitions this member of the group owns (set on every rebalance). */
const assignedPartitions = () =>
  (register.getSingleMetric('courier_consumer_assigned_partitions') as Gauge | undefined) ??
  new Gauge({ name: 'courier_consumer_assigned_partitions', help: 'Partitions assigned to this member of the consumer group', labelNames: ['group'], registers: [register] });

/** Per partition of the group's topics: end offset − committed offset, read from the broker when scraped. */
function registerLagGauge(groupId: string, topics: string[], admin: () => Promise<Admin>, log: Logger): void {
  const name = 'courier_consumer_lag_messages';
  if (register.getSingleMetric(name)) return;
  new Gauge({
    name,
    help: 'Messages not yet consumed by the group, per partition (latest offset - committed offset), read from the broker at scrape time',
    labelNames: ['group', 'topic', 'partition'],
    registers: [register],
    async collect() {
      try {
        const lags = await Promise.race([
          admin().then((client) => consumerLag(client, groupId, topics)),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('broker did not answer within 3 s')), 3000).unref()),
        ]);
        this.reset();
        for (const { topic, partition, lag } of lags) this.set({ group: groupId, topic, partition: String(partition) }, lag);
      } catch (error) {
        log.warn(`consumer lag not refreshed: ${(error as Error).message}`);
      }
    },
  });
}

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
  /** Longest a fetch waits for data (default 100 ms). */
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
  private admin: Promise<Admin> | null = null;
  private closing = false;

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
      // waits up to 5 s. A tenth of a second bounds that at little cost (an idle consumer fetches ten times a second);
      // it is most of the latency from a scan to the live alert it raises when the stream is caught up.
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 100,
      // A crashed member holds its partitions until the session times out: keep failover short.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts itself after retriable errors only; after any other it stays stopped, and a service that
      // answers /health but no longer consumes is worse than one that starts its consumer again.
      if (payload.restart || this.closing || this.consumer !== consumer) return;
      this.log.error(`consumer stopped on a non-retriable error (${payload.error.message}); starting it again`);
      this.restartLater(consumer);
    });
    registerLagGauge(groupId, [...patternByTopic.keys()], () => this.adminClient(), this.log);
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

  private restartLater(crashed: Consumer, delayMs = 2000): void {
    setTimeout(() => {
      if (this.closing || this.consumer !== crashed) return;
      void crashed
        .disconnect()
        .catch(() => undefined)
        .then(() => this.start())
        .catch((error: Error) => {
          this.log.error(`consumer restart failed (${error.message}); trying again`);
          if (this.consumer) this.restartLater(this.consumer, Math.min(delayMs * 2, 30_000));
        });
    }, delayMs);
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    const owned = Object.values(assignment).reduce((sum, partitions) => sum + partitions.length, 0);
    assignedPartitions().set({ group: this.options.groupId }, owned);
  }

  private adminClient(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.options.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = null;
      throw error;
    });
    return this.admin;
  }

  private async handleBatch(payload: EachBatchPayload, pattern: string): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const handler = this.getHandlerByPattern(pattern)!;
    const data: KafkaBatch = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      messages: batch.messages,
    };
    // A heartbeat refused because the group is rebalancing (or has dropped this member after a long batch) is not
    // the batch's failure: its effects are committed in PostgreSQL, and the consumer rejoins by itself.
    const keepAlive = () => heartbeat().catch((error: Error) => this.log.warn(`heartbeat refused: ${error.message}`));
    const context = new KafkaBatchContext([data, { groupId: this.options.groupId, heartbeat: keepAlive, isRunning, isStale }]);
    const result = await handler(data, context);
    if (isObservable(result)) await firstValueFrom(result, { defaultValue: undefined });
    const last = batch.messages[batch.messages.length - 1]!.offset;
    resolveOffset(last);
    // Committed explicitly: Kafka's committed offset is what lag monitoring reads and where a restarted member
    // resumes. Through the batch's own commitOffsetsIfNecessary(offsets), which commits even while the consumer
    // is stopping (consumer.commitOffsets silently does nothing then: the last batch before SIGTERM would stay
    // uncommitted). A revoked partition cannot commit: its new owner resumes from there and skips what the
    // handler's own progress says is done.
    await commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
    }).catch((error: Error) => this.log.warn(`offset commit skipped: ${error.message}`));
  }

  async close(): Promise<void> {
    this.closing = true;
    // kafkajs waits for the batch in flight, so SIGTERM finishes it, commits and then leaves the group.
    await this.consumer?.disconnect();
    this.consumer = null;
    const admin = this.admin;
    this.admin = null;
    await admin?.then((client) => client.disconnect()).catch(() => undefined);
  }

  on(): void {
    throw new Error('KafkaBatchServer does not emit status events');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('KafkaBatchServer is not listening');
    return this.consumer as T;
  }
}
