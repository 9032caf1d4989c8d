import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { KafkaMessage } from 'kafkajs';
import { parseEvidenceMessage, parseHqReviewMessage, parseInputMessage, toDlqRecord } from '#contracts';
import { decide, evidenceEngineInput, hqReviewEngineInput, type EngineInput, type Effect, type Policy, type WaybillState } from '#domain';
import { APP_ENV, CLOCK, POLICY, type AppEnv, type Clock } from '#config';
import {
  DecisionRepository,
  mayJournal,
  StaleStateError,
  StreamProgressRepository,
  WaybillStateCache,
  type JournaledWaybill,
  type JournalEntry,
  type OutboxEntry,
} from '#persistence';
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

type ValidMessage = { message: KafkaMessage; waybillNo: string; occurredAtMs: number; input: EngineInput };
type RejectedMessage = { message: KafkaMessage; reason: string; field: string | null };

/**
 * Kafka batch → validate → engine → one PostgreSQL transaction (state, cases, deadlines,
 * liabilities, notifications, outbox, DLQ records and this partition's next offset).
 *
 * A message below the stored next offset was already applied (a redelivery after a crash or a
 * rebalance) and is skipped, so effects happen exactly once although delivery is at least once.
 */
@Injectable()
export class ProcessBatchUseCase {
  private readonly states: WaybillStateCache;
  private readonly log = new Logger(ProcessBatchUseCase.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(POLICY) private readonly policy: Policy,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_ENV) env: AppEnv,
    private readonly metrics: IngestMetrics,
  ) {
    this.states = new WaybillStateCache(env.INGEST_STATE_CACHE_ENTRIES);
  }

  async execute(kind: InputKind, groupId: string, batch: KafkaBatch): Promise<BatchOutcome> {
    const started = performance.now();
    const now = this.clock.now();
    // Validation needs no database: done before the transaction, so locks are held for less time.
    const valid: ValidMessage[] = [];
    const invalid: RejectedMessage[] = [];
    for (const message of batch.messages) {
      const parsed = parse(kind, message.key?.toString() ?? null, message.value, now);
      if (!parsed.ok) {
        invalid.push({ message, reason: parsed.reason, field: parsed.field ?? null });
        continue;
      }
      valid.push({ message, waybillNo: parsed.waybillNo, occurredAtMs: Date.parse(parsed.occurredAt), input: parsed.input });
    }

    // First optimistically (snapshots read without row locks, written only if unchanged); if another writer got
    // there first (the deadline service, a batch of another topic, a deadlock), once more with the rows locked.
    let applied: Applied;
    try {
      applied = await this.dataSource.transaction((manager) => this.apply(manager, groupId, batch, valid, invalid, now, false));
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
      this.metrics.writeConflicts.inc({ topic: batch.topic });
      applied = await this.dataSource.transaction((manager) => this.apply(manager, groupId, batch, valid, invalid, now, true));
    }
    const { outcome, rejected, decided, journaled, skippedOffsets } = applied;

    // Committed: the states are now PostgreSQL's, and the counters count each message once.
    this.states.remember(
      [...decided.values()].filter((s): s is WaybillState => s !== null),
      journaled,
    );
    for (const { reason } of rejected) this.metrics.dlq.inc({ topic: batch.topic, reason: reasonLabel(reason) });
    if (skippedOffsets > 0) {
      this.metrics.offsetsSkipped.inc({ topic: batch.topic }, skippedOffsets);
      this.log.error(
        `${batch.topic}[${batch.partition}]: ${skippedOffsets} offset(s) before ${batch.messages[0]!.offset} were gone from the broker before they were processed`,
      );
    }
    this.metrics.observeBatch(batch.topic, outcome, (performance.now() - started) / 1000);
    return outcome;
  }

  private async apply(
    manager: EntityManager,
    groupId: string,
    batch: KafkaBatch,
    valid: ValidMessage[],
    invalid: RejectedMessage[],
    now: Date,
    lockRows: boolean,
  ): Promise<Applied> {
    const next = await StreamProgressRepository.lockNextOffset(manager, groupId, batch.topic, batch.partition);
    // A batch that starts past the stored next offset means the broker no longer had the offsets in between
    // (retention or compaction removed them before this group read them): reported, since nothing can bring them back.
    const skippedOffsets = Number(BigInt(batch.messages[0]?.offset ?? next) - next);
    const isFresh = (m: KafkaMessage) => BigInt(m.offset) >= next;
    const fresh = batch.messages.filter(isFresh);
    const outcome: BatchOutcome = {
      received: batch.messages.length,
      skippedAsReplayed: batch.messages.length - fresh.length,
      applied: 0,
      rejected: 0,
      casesOpened: 0,
    };
    const rejected = invalid.filter((r) => isFresh(r.message));
    if (fresh.length === 0) return { outcome, rejected, decided: new Map(), journaled: new Map(), skippedOffsets: 0 };

    // Valid events per waybill, in partition order within each waybill.
    const byWaybill = new Map<string, ValidMessage[]>();
    let latestEventTime = 0;
    for (const item of valid) {
      if (!isFresh(item.message)) continue;
      latestEventTime = Math.max(latestEventTime, item.occurredAtMs);
      const list = byWaybill.get(item.waybillNo);
      if (list) list.push(item);
      else byWaybill.set(item.waybillNo, [item]);
    }

    const waybills = [...byWaybill.keys()];
    // Journal entries after each waybill's snapshot row, before this batch (then after it).
    const journaled = new Map<string, number>();
    const decided = lockRows
      ? await DecisionRepository.lockStates(manager, waybills, this.policy, this.states, journaled)
      : await DecisionRepository.readStates(manager, waybills, this.policy, this.states, journaled);
    const baseVersions = new Map<string, number>();
    const snapshots: WaybillState[] = [];
    const journal: JournaledWaybill[] = [];
    const effects: Effect[] = [];
    for (const [waybillNo, items] of byWaybill) {
      let state = decided.get(waybillNo) ?? null;
      const before = state;
      const entries: JournalEntry[] = [];
      const waybillEffects: Effect[] = [];
      for (const { input, message } of items) {
        const decision = decide(state, input, this.policy);
        if (decision.state.version !== state?.version) entries.push({ version: decision.state.version, input });
        state = decision.state;
        for (const effect of decision.effects) {
          if (effect.type === 'Rejected') rejected.push({ message, reason: effect.reason, field: null });
          else waybillEffects.push(effect);
        }
        outcome.applied += 1;
      }
      effects.push(...waybillEffects);
      if (state && state.version !== before?.version) {
        baseVersions.set(waybillNo, before?.version ?? 0);
        // Most events change no case: their inputs go to the waybill's journal instead of a new ~2.6 KB snapshot.
        if (mayJournal(before, journaled.get(waybillNo), entries.length, waybillEffects)) {
          journal.push({ waybillNo, version: state.version, entries });
          journaled.set(waybillNo, journaled.get(waybillNo)! + entries.length);
        } else {
          snapshots.push(state);
          journaled.set(waybillNo, 0);
        }
      }
      decided.set(waybillNo, state);
    }

    await StreamProgressRepository.saveProgress(manager, groupId, batch.topic, batch.partition, {
      nextOffset: BigInt(fresh[fresh.length - 1]!.offset) + 1n,
      highWatermark: BigInt(batch.highWatermark),
      maxEventTime: latestEventTime > 0 ? new Date(latestEventTime) : null,
    });
    // The DLQ record of events.md: original key, value (base64), headers, topic, partition, offset, reason. Its
    // `key` and `reason` are the storable forms (a key with a NUL byte would fail the transaction every time).
    const dlqRecords = rejected.map(({ message, reason, field }) =>
      toDlqRecord({ ...message, topic: batch.topic, partition: batch.partition, reason, field, rejectedAt: now }),
    );
    await StreamProgressRepository.insertDlq(
      manager,
      dlqRecords.map((record, i) => ({
        topic: batch.topic,
        partition: batch.partition,
        offset: rejected[i]!.message.offset,
        key: record.key,
        reason: record.reason,
        field: record.field,
      })),
    );
    const dlqMessages: OutboxEntry[] = dlqRecords.map((record) => ({ topicRole: 'dlq', key: record.key ?? '', payload: record }));
    // Last before COMMIT: it takes the month's case-number lock when the batch opens a case.
    const summary = await DecisionRepository.persist(manager, {
      states: snapshots,
      journal,
      effects,
      outbox: dlqMessages,
      baseVersions: lockRows ? undefined : baseVersions,
    });
    outcome.rejected = rejected.length;
    outcome.casesOpened = summary.casesOpened;
    return { outcome, rejected, decided, journaled, skippedOffsets: Math.max(0, skippedOffsets) };
  }
}

interface Applied {
  outcome: BatchOutcome;
  rejected: RejectedMessage[];
  /** Every waybill of the batch with its snapshot after the batch (null: none yet). */
  decided: Map<string, WaybillState | null>;
  /** Journal entries after each of those waybills' snapshot rows, after the batch. */
  journaled: Map<string, number>;
  /** Offsets between the stored next offset and the batch's first message, which the broker no longer had. */
  skippedOffsets: number;
}

/** Another writer changed a waybill first (optimistic check), or PostgreSQL broke a deadlock between two batches. */
function isWriteConflict(error: unknown): boolean {
  if (error instanceof StaleStateError) return true;
  const code = (error as { code?: string; driverError?: { code?: string } }).code ?? (error as { driverError?: { code?: string } }).driverError?.code;
  return code === '40P01';
}

/** Metric label: the reason's first clause, without values, so label cardinality stays bounded. */
export function reasonLabel(reason: string): string {
  return reason.split(':')[0]!.replace(/"[^"]*"/g, '').replace(/\d+/g, 'N').trim().slice(0, 60);
}
