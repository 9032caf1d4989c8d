import { DataSource } from 'typeorm';
import { parseInputMessage, type InputKind } from '#contracts';
import { decide, type Effect, type WaybillState } from '#domain';
import { readPolicyFile } from '#config';
import { dataSourceOptions, DecisionRepository, StreamProgressRepository } from '#persistence';

export interface WireEvent {
  waybillNo: string;
  [field: string]: unknown;
}

/**
 * What the ingest service does with a batch, without Kafka: validates real events (events.md), runs them
 * through the engine against the stored waybill state, and persists the decisions — cases, deadlines,
 * liabilities, the outbox with its deadline intents — in one transaction. The running deadlines app relays
 * those intents to its own consumer, exactly as it relays the ingest service's.
 */
export class EngineFeed {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly policy = readPolicyFile('config/policy.default.json'),
  ) {}

  static async open(databaseUrl: string): Promise<EngineFeed> {
    const dataSource = new DataSource(dataSourceOptions(databaseUrl, 2));
    await dataSource.initialize();
    return new EngineFeed(dataSource);
  }

  /** Applies the events in order, as one batch; fails the test on an event the contract or the engine rejects. */
  async apply(kind: InputKind, ...events: WireEvent[]): Promise<Effect[]> {
    return this.dataSource.transaction(async (manager) => {
      const locked = await DecisionRepository.lockStates(manager, events.map((e) => e.waybillNo), this.policy);
      const states = new Map<string, WaybillState | null>(locked);
      const effects: Effect[] = [];
      for (const raw of events) {
        const parsed = parseInputMessage({ kind, key: raw.waybillNo, value: JSON.stringify(raw), now: new Date() });
        if (!parsed.ok) throw new Error(`test event rejected by the contract: ${parsed.reason}`);
        const decision = decide(states.get(raw.waybillNo) ?? null, { kind: 'event', event: parsed.event }, this.policy);
        const rejected = decision.effects.find((e) => e.type === 'Rejected');
        if (rejected?.type === 'Rejected') throw new Error(`test event rejected by the engine: ${rejected.reason}`);
        states.set(raw.waybillNo, decision.state);
        effects.push(...decision.effects);
      }
      await DecisionRepository.persist(manager, { states: [...states.values()].filter((s): s is WaybillState => s !== null), effects });
      return effects;
    });
  }

  /**
   * Records the ingest group's progress on one partition, as the ingest service does with every batch:
   * `behind` leaves the partition lagging (its newest event time then holds the event-time clock back),
   * otherwise it has caught up with its end offset.
   */
  async ingestProgress(groupId: string, progress: { behind: boolean; newestEventTime: string }): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await StreamProgressRepository.lockNextOffset(manager, groupId, 'courier.scan.v1', 0);
      await StreamProgressRepository.saveProgress(manager, groupId, 'courier.scan.v1', 0, {
        nextOffset: progress.behind ? 10n : 100n,
        highWatermark: 100n,
        maxEventTime: new Date(progress.newestEventTime),
      });
    });
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
  }
}
