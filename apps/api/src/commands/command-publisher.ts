import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import { actionEventSchema, exceptionEventSchema, replyEventSchema } from '#contracts';
import { APP_ENV, CLOCK, POLICY, TOPICS, type AppEnv, type Clock, type Topics } from '#config';
import type { Policy } from '#domain';
import { KafkaProducer } from '#messaging';
import { parseOrThrow } from '../http/zod-validation.js';
import { hqReviewMessageSchema } from '#contracts';
import { ApiMetrics } from '../api.metrics.js';

export type CommandTopic = 'reply' | 'action' | 'exception' | 'hqReview';

/** What the API answers (202) once a command is on its topic: ingest applies it through the engine. */
export interface AcceptedCommand {
  eventId: string;
  topic: string;
  waybillNo: string;
  /** The event time the engine will judge it at. */
  occurredAt: string;
}

const SCHEMAS = {
  reply: replyEventSchema,
  action: actionEventSchema,
  exception: exceptionEventSchema,
  hqReview: hqReviewMessageSchema,
} as const;

/**
 * Writes made through the API become input events on the stream's own topics (events.md: the API accepts the
 * same replies and actions as branch systems), keyed by waybillNo with a fresh eventId. The ingest service then
 * applies them with the same engine, the same event-time rules and the same per-waybill ordering as every other
 * event: there is exactly one writer of case state.
 */
@Injectable()
export class CommandPublisher {
  private readonly log = new Logger(CommandPublisher.name);

  constructor(
    private readonly producer: KafkaProducer,
    private readonly metrics: ApiMetrics,
    @Inject(TOPICS) private readonly topics: Topics,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(POLICY) private readonly policy: Policy,
  ) {}

  /** A new event id and the current time in the network's zone, with its offset (events.md requires one). */
  stamp(): { eventId: string; occurredAt: string } {
    const occurredAt = DateTime.fromJSDate(this.clock.now()).setZone(this.policy.timeZone).toISO({ includeOffset: true })!;
    return { eventId: `api-${randomUUID()}`, occurredAt };
  }

  topicOf(kind: CommandTopic): string {
    return this.topics[kind];
  }

  /**
   * Validates the event with the topic's contract schema (a failure is the caller's 400, its fields renamed to the
   * body's by `rename`), then publishes it and waits for the brokers' acknowledgement.
   */
  async publish(
    kind: CommandTopic,
    event: { eventId: string; waybillNo: string; occurredAt: string } & Record<string, unknown>,
    rename: Record<string, string> = {},
  ): Promise<AcceptedCommand> {
    const schema: z.ZodType = SCHEMAS[kind];
    // The contract schemas carry the topic's `kind` discriminator, which the wire format leaves out.
    const probe = kind === 'hqReview' ? event : { ...event, kind };
    parseOrThrow(schema, probe, rename);
    const topic = this.topicOf(kind);
    try {
      await this.producer.connect();
      await this.producer.send([{ topic, key: event.waybillNo, value: JSON.stringify(event), headers: { source: 'api' } }]);
    } catch (error) {
      this.log.error(`could not publish ${kind} ${event.eventId} to ${topic}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('the command could not be queued (Kafka unavailable); nothing was recorded, retry later');
    }
    this.metrics.commandsPublished.inc({ command: kind });
    return { eventId: event.eventId, topic, waybillNo: event.waybillNo, occurredAt: event.occurredAt };
  }
}
