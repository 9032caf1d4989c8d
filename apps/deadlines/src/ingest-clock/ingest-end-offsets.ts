import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { INGEST_INPUT_ROLES, TOPICS, type Topics } from '#config';
import { KAFKA } from '#messaging';
import { partitionKey } from './event-time-gate.js';

/** End offsets are shared by the judgements of this long: one broker round per second at most. */
const CACHE_MS = 1000;
const READ_TIMEOUT_MS = 2000;

/**
 * The brokers' end offsets of ingest's input topics: whether ingest has messages left to apply, whatever it last
 * wrote about itself (a crashed consumer writes nothing while its backlog grows).
 */
@Injectable()
export class IngestEndOffsets implements OnApplicationShutdown {
  private readonly log = new Logger(IngestEndOffsets.name);
  private admin: Admin | null = null;
  private cached: { at: number; offsets: Promise<ReadonlyMap<string, bigint> | null> } | null = null;
  private lastWarning = 0;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  /** By `topic:partition`; null when the brokers cannot be read now (the caller falls back to the stored view). */
  read(): Promise<ReadonlyMap<string, bigint> | null> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) this.cached = { at: now, offsets: this.fetch() };
    return this.cached.offsets;
  }

  private async fetch(): Promise<ReadonlyMap<string, bigint> | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = (async () => {
        if (!this.admin) {
          const admin = this.kafka.admin();
          await admin.connect();
          this.admin = admin;
        }
        const offsets = new Map<string, bigint>();
        const topics = INGEST_INPUT_ROLES.map((role) => this.topics[role]);
        const perTopic = await Promise.all(topics.map((topic) => this.admin!.fetchTopicOffsets(topic).catch(() => [])));
        perTopic.forEach((partitions, i) => {
          for (const p of partitions) offsets.set(partitionKey(topics[i]!, p.partition), BigInt(p.high));
        });
        return offsets;
      })();
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), READ_TIMEOUT_MS)));
      const offsets = await Promise.race([read, timeout]);
      if (offsets === null) throw new Error(`no answer within ${READ_TIMEOUT_MS} ms`);
      return offsets;
    } catch (error) {
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.log.warn(`cannot read ingest's end offsets (${(error as Error).message}): judging by ingest's stored progress only`);
      }
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
