/**
 * Test support for the engine specs (not exported by the library): a small network policy, builders for wire
 * events (parsed through the real contract), and a driver that feeds events, keeps the timers the effects arm,
 * and fires them in due order.
 */
import { parseInputMessage, type InputKind } from '#contracts';
import { loadPolicy, type Policy, type PolicyInput } from '../../policy/index.js';
import { decide } from '../decide.js';
import { caseData } from '../model.js';
import type { Deadline, Effect, EngineInput, NotificationIntent, ProblemCase, WaybillState } from '../types.js';

export const WB = 'ZT2026000001';
export const OB = 'B0101';
export const DB = 'B0201';
export const RB = 'B0301';
export const HUB_A = 'H01';
export const HUB_B = 'H02';
export const HUB_OFF_ROUTE = 'H09';

/** `'11-23 09:59'` (or with seconds / milliseconds) local Asia/Shanghai in 2026 → ISO with +08:00. */
export function t(local: string): string {
  const [date, time] = local.split(' ');
  const [hm, ms] = time.split('.');
  const withSeconds = hm.length === 5 ? `${hm}:00` : hm;
  return `2026-${date}T${withSeconds}${ms ? `.${ms}` : ''}+08:00`;
}

/** The UTC ISO form the engine stores for a local time. */
export function u(local: string): string {
  return new Date(t(local)).toISOString();
}

export function testPolicy(overrides: Partial<PolicyInput> = {}): Policy {
  return loadPolicy({
    version: 'test-1',
    sites: {
      [OB]: { type: 'BRANCH', departures: ['09:00', '15:00', '20:00'], staff: { supervisor: 'sup.ob@example.com', finance: 'fin.ob@example.com', cs: 'cs.ob@example.com', manager: 'mgr.ob@example.com' } },
      [DB]: {
        type: 'BRANCH',
        departures: ['09:00', '15:00', '20:00'],
        staff: { supervisor: 'sup.db@example.com', finance: 'fin.db@example.com', reconciliation: 'rec.db@example.com', cs: 'cs.db@example.com', manager: 'mgr.db@example.com' },
      },
      [RB]: { type: 'BRANCH', closeTime: '18:00', webhookUrl: 'https://rb.example.com/hook' },
      B0401: { type: 'BRANCH' },
      [HUB_A]: { type: 'HUB', staff: { supervisor: 'sup.h01@example.com' } },
      [HUB_B]: { type: 'HUB' },
      [HUB_OFF_ROUTE]: { type: 'HUB' },
    },
    hubRoutes: { [DB]: [HUB_A, HUB_B], [OB]: [HUB_A, HUB_B] },
    routes: [
      { from: HUB_B, to: DB, transitMinutes: 90 },
      { from: HUB_A, to: RB, transitMinutes: 60 },
    ],
    calendar: { holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'], extraWorkingDays: ['2026-10-10'] },
    sms: {
      defaultBrand: 'ZT',
      brands: {
        ZT: {
          courierHotline: '95311',
          templates: {
            default: '{surname}{honorific}您好，{brand}快件{waybillNo}今日派送未成功，快递员电话{courierPhone}。',
            byReason: { ADDRESS_UNCLEAR: '{surname}{honorific}，{brand}快件{waybillNo}地址不详，请致电{courierPhone}。' },
          },
        },
      },
    },
    ...overrides,
  });
}

let counter = 0;
function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

type Wire = Record<string, unknown> & { eventId: string };
export interface WireMessage {
  kind: InputKind;
  value: Wire;
}

export function pickup(at: string, extra: Record<string, unknown> = {}): WireMessage {
  return {
    kind: 'scan',
    value: {
      eventId: nextId('pickup'),
      schemaVersion: 1,
      waybillNo: WB,
      occurredAt: t(at),
      siteCode: OB,
      siteType: 'BRANCH',
      scanType: 'PICKUP',
      originBranch: OB,
      destinationBranch: DB,
      pieces: 1,
      weightKg: 2,
      recipient: { name: '张伟', mobile: '13812345678', address: '上海市浦东新区', gender: 'M' },
      sender: { name: '李娜', mobile: '13900001111', address: '杭州市' },
      freightPayer: 'SENDER',
      ...extra,
    },
  };
}

export function scan(scanType: string, at: string, site: string, extra: Record<string, unknown> = {}): WireMessage {
  const siteType = site.startsWith('H') ? 'HUB' : 'BRANCH';
  return {
    kind: 'scan',
    value: { eventId: nextId(scanType.toLowerCase()), schemaVersion: 1, waybillNo: WB, occurredAt: t(at), siteCode: site, siteType, scanType, ...extra },
  };
}

export function failed(at: string, attempt: number, reasonCode = 'NOBODY_HOME', extra: Record<string, unknown> = {}): WireMessage {
  return scan('DELIVERY_FAILED', at, DB, { reasonCode, attempt, ...extra });
}

export function registration(at: string, site: string, reasonCode: string, extra: Record<string, unknown> = {}): WireMessage {
  const siteType = site.startsWith('H') ? 'HUB' : 'BRANCH';
  return {
    kind: 'exception',
    value: { eventId: nextId('reg'), schemaVersion: 1, waybillNo: WB, occurredAt: t(at), siteCode: site, siteType, reasonCode, ...extra },
  };
}

export function reply(at: string, caseClass: string, instruction: string, extra: Record<string, unknown> = {}): WireMessage {
  return {
    kind: 'reply',
    value: {
      eventId: nextId('reply'),
      schemaVersion: 1,
      waybillNo: WB,
      occurredAt: t(at),
      siteCode: OB,
      siteType: 'BRANCH',
      caseRef: { waybillNo: WB, class: caseClass },
      instruction,
      repliedBy: '赵主管',
      ...(instruction === 'REDELIVER_NEW_ADDRESS' ? { newAddress: '新地址 1 号' } : {}),
      ...extra,
    },
  };
}

export function action(at: string, caseClass: string, act: string, extra: Record<string, unknown> = {}): WireMessage {
  return {
    kind: 'action',
    value: {
      eventId: nextId('action'),
      schemaVersion: 1,
      waybillNo: WB,
      occurredAt: t(at),
      siteCode: DB,
      siteType: 'BRANCH',
      caseRef: { waybillNo: WB, class: caseClass },
      action: act,
      actor: '客服 小王',
      ...(act === 'RESOLVE' ? { note: '已与客户确认' } : {}),
      ...extra,
    },
  };
}

export const SHA = (c: string) => c.repeat(64);

/** Feeds one waybill's inputs into `decide`, tracking timers and every effect. */
export class Driver {
  state: WaybillState | null = null;
  readonly effects: Effect[] = [];
  readonly timers = new Map<string, { deadlineId: string; caseId: string | null; dueAt: string }>();

  constructor(readonly policy: Policy = testPolicy()) {}

  /** Parses the wire message with the real contract (now = its event time) and decides it. */
  feed(...messages: WireMessage[]): Effect[] {
    const produced: Effect[] = [];
    for (const message of messages) {
      const parsed = parseInputMessage({ kind: message.kind, key: WB, value: JSON.stringify(message.value), now: String(message.value.occurredAt) });
      if (!parsed.ok) throw new Error(`test event rejected by the contract: ${parsed.reason}`);
      produced.push(...this.input({ kind: 'event', event: parsed.event }));
    }
    return produced;
  }

  input(input: EngineInput): Effect[] {
    const decision = decide(this.state, input, this.policy);
    this.state = decision.state;
    this.effects.push(...decision.effects);
    for (const effect of decision.effects) this.track(effect);
    return decision.effects;
  }

  /** Fires every timer due at or before `until` (local time), in due order, as the deadline service would. */
  fireUntil(until: string): Effect[] {
    const limit = u(until);
    const produced: Effect[] = [];
    for (;;) {
      const next = [...this.timers.values()].filter((timer) => timer.dueAt <= limit).sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.deadlineId < b.deadlineId ? -1 : 1))[0];
      if (!next) return produced;
      this.timers.delete(next.deadlineId);
      produced.push(...this.input({ kind: 'timer', deadlineId: next.deadlineId, caseId: next.caseId, dueAt: next.dueAt, firedAt: limit }));
    }
  }

  /** Fires everything still armed (far future). */
  fireAll(): Effect[] {
    return this.fireUntil('12-31 23:59');
  }

  private track(effect: Effect): void {
    switch (effect.type) {
      case 'DeadlineArmed':
      case 'DeadlineMoved':
        if (effect.deadline.status === 'PENDING') {
          this.timers.set(effect.deadline.id, { deadlineId: effect.deadline.id, caseId: effect.deadline.caseId, dueAt: effect.deadline.dueAt });
        }
        break;
      case 'DeadlineMet':
      case 'DeadlineMissed':
      case 'DeadlineCancelled':
        this.timers.delete(effect.deadline.id);
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------------------------------ queries

  get cases(): ProblemCase[] {
    return this.state?.cases ?? [];
  }

  case(caseClass: string, n = 1): ProblemCase {
    const found = this.cases.find((c) => c.id === `${WB}-${caseClass}-${n}`);
    if (!found) throw new Error(`no case ${caseClass}-${n}; cases: ${this.cases.map((c) => c.id).join(', ') || 'none'}`);
    return found;
  }

  deadline(caseClass: string, suffix: string, n = 1): Deadline {
    const c = this.case(caseClass, n);
    const found = c.deadlines.find((d) => d.id === `${c.id}-${suffix}`);
    if (!found) throw new Error(`no deadline ${c.id}-${suffix}; has ${c.deadlines.map((d) => d.id).join(', ')}`);
    return found;
  }

  notifications(kind?: string): NotificationIntent[] {
    return this.effects
      .filter((e): e is Extract<Effect, { type: 'NotificationIntended' }> => e.type === 'NotificationIntended')
      .map((e) => e.notification)
      .filter((n) => !kind || n.kind === kind);
  }

  effectsOf<T extends Effect['type']>(type: T): Extract<Effect, { type: T }>[] {
    return this.effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
  }

  data(caseClass: string, n = 1) {
    return caseData(this.case(caseClass, n));
  }
}
