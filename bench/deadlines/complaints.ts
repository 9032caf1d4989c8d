import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { parseInputMessage, type InputKind } from '#contracts';
import { decide, type Effect, type Policy, type WaybillState } from '#domain';
import { DecisionRepository } from '#persistence';

/** Waybills per seeding transaction. */
const CHUNK = 500;

/**
 * Builds `count` complaint cases whose C1 deadline (contact the customer within 12 h, rules §3) falls due at
 * exactly `c1DueMs`, by running real events — a PICKUP and a COMPLAINT registration 12 h before the due time —
 * through the validation and the engine, and persisting the decisions as the ingest service does. Each case
 * also has C2 (+24 h) and C3 (3rd working day) pending. Returns the C1 deadline ids.
 */
export async function seedComplaintCases(
  dataSource: DataSource,
  policy: Policy,
  options: { count: number; c1DueMs: number; tag: string },
): Promise<string[]> {
  const registeredMs = options.c1DueMs - policy.durations.c1 * 60_000;
  const local = (ms: number) => DateTime.fromMillis(ms, { zone: policy.timeZone }).toISO({ suppressMilliseconds: true })!;
  const c1Ids: string[] = [];
  for (let start = 0; start < options.count; start += CHUNK) {
    const waybills = Array.from({ length: Math.min(CHUNK, options.count - start) }, (_, i) =>
      `BC${options.tag}${String(start + i).padStart(7, '0')}`.slice(0, 20),
    );
    await dataSource.transaction(async (manager) => {
      const locked = await DecisionRepository.lockStates(manager, waybills, policy);
      const states: WaybillState[] = [];
      const effects: Effect[] = [];
      for (const waybillNo of waybills) {
        let state = locked.get(waybillNo) ?? null;
        for (const [kind, event] of complaintEvents(waybillNo, local(registeredMs - 3_600_000), local(registeredMs))) {
          const decision = decide(state, { kind: 'event', event: parse(kind, event) }, policy);
          state = decision.state;
          effects.push(...decision.effects);
        }
        states.push(state!);
        const c1 = effects.find((e) => e.type === 'DeadlineArmed' && e.deadline.rule === 'C1' && e.deadline.caseId?.startsWith(waybillNo));
        if (c1?.type !== 'DeadlineArmed') throw new Error(`the engine armed no C1 deadline for ${waybillNo}`);
        c1Ids.push(c1.deadline.id);
      }
      await DecisionRepository.persist(manager, { states, effects });
    });
  }
  return c1Ids;
}

function complaintEvents(waybillNo: string, pickedUpAt: string, registeredAt: string): [InputKind, Record<string, unknown>][] {
  const common = { schemaVersion: 1, waybillNo };
  return [
    [
      'scan',
      {
        ...common,
        eventId: `${waybillNo}-pickup`,
        occurredAt: pickedUpAt,
        siteCode: 'SHB002',
        siteType: 'BRANCH',
        scanType: 'PICKUP',
        originBranch: 'SHB002',
        destinationBranch: 'SHB001',
        pieces: 1,
        weightKg: 1.5,
        recipient: { name: '王小明', mobile: '13812345678', address: '上海市浦东新区世纪大道100号', gender: 'M' },
        sender: { name: '李华', mobile: '13900001111', address: '上海市闵行区' },
        freightPayer: 'SENDER',
      },
    ],
    [
      'exception',
      {
        ...common,
        eventId: `${waybillNo}-complaint`,
        occurredAt: registeredAt,
        siteCode: 'SHB001',
        siteType: 'BRANCH',
        reasonCode: 'DELAY',
        channel: 'ONLINE',
        complaint: { customerName: '王小明', customerContact: '13812345678', channel: 'PHONE' },
      },
    ],
  ];
}

function parse(kind: InputKind, event: Record<string, unknown>) {
  const parsed = parseInputMessage({ kind, key: String(event.waybillNo), value: JSON.stringify(event), now: new Date() });
  if (!parsed.ok) throw new Error(`bench event rejected: ${parsed.reason}`);
  return parsed.event;
}
