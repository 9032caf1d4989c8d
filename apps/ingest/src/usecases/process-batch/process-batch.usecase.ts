import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { KafkaMessage } from 'kafkajs';
import { parseEvidenceMessage, parseHqReviewMessage, parseInputMessage, toDlqRecord } from '#contracts';
import { decide, evidenceEngineInput, hqReviewEngineInput, type EngineInput, type Effect, type Policy, type WaybillState } from '#domain';
import { CLOCK, POLICY, type Clock } from '#config';
import { DecisionRepository, StreamProgressRepository, type DlqRow, type OutboxEntry } from '#persistence';
import type { KafkaBatch } from '#messaging';
import { IngestMetrics } from '../../ingest.metrics.js';

/** The four input topics of events.md, plus HQ's review commands and stored evidence (published by the API). */
export type InputKind = 'scan' | 'exception' | 'reply' | 'action' | 'hqReview' | 'evidence';

type Parsed = { ok: true; waybillNo: string; occurredAt: string; input: EngineInput } | { ok: false; reason: string; field?: string };

function parse(kind: InputKind, key: string | null, value: Buffer | null, now: Date): Parsed {
  if (kind === 'hqReview') {
    const result = parseHqReviewMessage({ key, value, now });
    if (!result.ok) return result;
    const { message } = result;
    return { ok: true, waybillNo: message.waybillNo, occurredAt: message.occurredAt, input: hqReviewEngineInput(message) };
  }
  if (kind === 'evidence') {
    const result = parseEvidenceMessage({ key, value, now });
    if (!result.ok) return result;
    const { message } = result;
    return { ok: true, waybillNo: message.waybillNo, occurredAt: message.occurredAt, input: evidenceEngineInput(message) };
  }
  const result = parseInputMessage({ kind, key, value, now });
  if (!result.ok) return result;
  return { ok: true, waybillNo: result.event.waybillNo, occurredAt: result.event.occurredAt, input: { kind: 'event', event: result.event } };
}

export interface BatchOutcome {
  received: number;
  skippedAsReplayed: number;
  applied: number;
  rejected: number;
  casesOpened: number;
}

/**
 * Kafka batch → validate → engine → one PostgreSQL transaction (state, cases, deadlines,
 * liabilities, notifications, outbox, DLQ records and this partition's next offset).
 *
 * A message below the stored next offset was already applied (a redelivery after a crash or a
 * rebalance) and is skipped, so effects happen exactly once although delivery is at least once.
 */
@Injectable()
export class ProcessBatchUseCase {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(POLICY) private readonly policy: Policy,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: IngestMetrics,
  ) {}

  async execute(kind: InputKind, groupId: string, batch: KafkaBatch): Promise<BatchOutcome> {
    const started = performance.now();
    const outcome = await this.dataSource.transaction(async (manager) => {
      const next = await StreamProgressRepository.lockNextOffset(manager, groupId, batch.topic, batch.partition);
      const fresh = batch.messages.filter((m) => BigInt(m.offset) >= next);
      const result: BatchOutcome = {
        received: batch.messages.length,
        skippedAsReplayed: batch.messages.length - fresh.length,
        applied: 0,
        rejected: 0,
        casesOpened: 0,
      };
      if (fresh.length === 0) return result;

      const now = this.clock.now();
      const dlq: DlqRow[] = [];
      const outbox: OutboxEntry[] = [];
      const reject = (message: KafkaMessage, reason: string, field: string | null) => {
        // The DLQ record of events.md: original key, value (base64), headers, topic, partition, offset, reason. Its
        // `key` and `reason` are the storable forms (a key with a NUL byte would fail the transaction every time).
        const record = toDlqRecord({ ...message, topic: batch.topic, partition: batch.partition, reason, field, rejectedAt: now });
        dlq.push({ topic: batch.topic, partition: batch.partition, offset: message.offset, key: record.key, reason: record.reason, field: record.field });
        outbox.push({ topicRole: 'dlq', key: record.key ?? '', payload: record });
        this.metrics.dlq.inc({ topic: batch.topic, reason: reasonLabel(reason) });
      };

      // Group valid events per waybill, keeping partition order within each waybill.
      const byWaybill = new Map<string, { input: EngineInput; message: KafkaMessage }[]>();
      let latestEventTime = 0;
      for (const message of fresh) {
        const parsed = parse(kind, message.key?.toString() ?? null, message.value, now);
        if (!parsed.ok) {
          reject(message, parsed.reason, parsed.field ?? null);
          continue;
        }
        const list = byWaybill.get(parsed.waybillNo) ?? [];
        list.push({ input: parsed.input, message });
        byWaybill.set(parsed.waybillNo, list);
        latestEventTime = Math.max(latestEventTime, Date.parse(parsed.occurredAt));
      }

      const locked = await DecisionRepository.lockStates(manager, [...byWaybill.keys()]);
      const states: WaybillState[] = [];
      const effects: Effect[] = [];
      for (const [waybillNo, items] of byWaybill) {
        let state = locked.get(waybillNo) ?? null;
        const before = state;
        for (const { input, message } of items) {
          const decision = decide(state, input, this.policy);
          state = decision.state;
          for (const effect of decision.effects) {
            if (effect.type === 'Rejected') reject(message, effect.reason, null);
            else effects.push(effect);
          }
          result.applied += 1;
        }
        if (state && state.version !== before?.version) states.push(state);
      }

      const summary = await DecisionRepository.persist(manager, { states, effects, outbox });
      await StreamProgressRepository.insertDlq(manager, dlq);
      const last = BigInt(fresh[fresh.length - 1]!.offset);
      await StreamProgressRepository.saveProgress(manager, groupId, batch.topic, batch.partition, {
        nextOffset: last + 1n,
        highWatermark: BigInt(batch.highWatermark),
        maxEventTime: latestEventTime > 0 ? new Date(latestEventTime) : null,
      });
      result.rejected = dlq.length;
      result.casesOpened = summary.casesOpened;
      return result;
    });
    this.metrics.observeBatch(batch.topic, outcome, (performance.now() - started) / 1000);
    return outcome;
  }
}

/** Metric label: the reason's first clause, without values, so label cardinality stays bounded. */
export function reasonLabel(reason: string): string {
  return reason.split(':')[0]!.replace(/"[^"]*"/g, '').replace(/\d+/g, 'N').trim().slice(0, 60);
}
