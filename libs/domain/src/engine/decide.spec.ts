import { parseInputMessage } from '#contracts';
import { SEEN_EVENT_IDS_KEPT } from './context.js';
import { decide, emptyWaybillState, MAX_PENDING } from './decide.js';
import { DB, Driver, failed, pickup, registration, reply, scan, testPolicy, u, WB, type WireMessage } from './testing/harness.js';
import type { WaybillState } from './types.js';

function parsed(message: WireMessage) {
  const result = parseInputMessage({ kind: message.kind, key: WB, value: JSON.stringify(message.value), now: String(message.value.occurredAt) });
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('decide', () => {
  it('a duplicate eventId is ignored and the state returned unchanged (the same object)', () => {
    const d = new Driver();
    const event = failed('11-23 10:00', 1);
    d.feed(pickup('11-23 06:00'), event);
    const before = d.state!;
    const effects = d.feed(event);
    expect(effects).toEqual([{ type: 'Ignored', reason: `duplicate eventId ${event.value.eventId}` }]);
    expect(d.state).toBe(before);
  });

  it('never mutates the state it is given', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1), registration('11-23 11:00', DB, 'NOBODY_HOME'));
    const frozen = deepFreeze(structuredClone(d.state!));
    const snapshot = structuredClone(frozen);
    const next = decide(frozen, { kind: 'event', event: parsed(reply('11-23 12:00', 'FAILED_DELIVERY', 'RETURN')) }, testPolicy());
    expect(frozen).toEqual(snapshot);
    expect(next.state.version).toBe(frozen.version + 1);
    expect(next.state.cases[0].state).toBe('INSTRUCTED');
  });

  it('keeps only the last 512 eventIds, yet still recognises an older duplicate from the facts', () => {
    const d = new Driver();
    const first = registration('11-23 07:00', DB, 'LABEL_DETACHED');
    d.feed(pickup('11-23 06:00'), first);
    for (let i = 0; i < SEEN_EVENT_IDS_KEPT + 10; i++) d.feed(scan('HUB_DEPARTURE', '11-23 08:00', 'H01', { nextSiteCode: 'H02' }));
    expect(d.state!.seenEventIds).toHaveLength(SEEN_EVENT_IDS_KEPT);
    expect(d.state!.seenEventIds).not.toContain(first.value.eventId);
    expect(d.feed(first)).toEqual([{ type: 'Ignored', reason: expect.stringContaining('duplicate') }]);
  });

  it('holds events before the PICKUP, up to a bound', () => {
    let state: WaybillState | null = null;
    const policy = testPolicy();
    for (let i = 0; i < MAX_PENDING; i++) state = decide(state, { kind: 'event', event: parsed(scan('HUB_ARRIVAL', '11-23 07:00', 'H01')) }, policy).state;
    expect(state!.pending).toHaveLength(MAX_PENDING);
    const over = decide(state, { kind: 'event', event: parsed(scan('HUB_ARRIVAL', '11-23 07:00', 'H01')) }, policy);
    expect(over.effects).toEqual([{ type: 'Rejected', reason: expect.stringContaining(`more than ${MAX_PENDING} events before the PICKUP`) }]);
    expect(over.state).toBe(state);
  });

  it('rejects an event given the state of another waybill', () => {
    const other = emptyWaybillState('ZT0000000009');
    expect(decide(other, { kind: 'event', event: parsed(pickup('11-23 06:00')) }, testPolicy()).effects[0]).toMatchObject({ type: 'Rejected' });
  });

  it('a reply naming an unknown case number is rejected; one naming a class with no case yet is held', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'));
    expect(d.feed(reply('11-23 12:00', 'FAILED_DELIVERY', 'DELIVER', { caseRef: { caseNo: 'PI-202611-0000042' } }))).toEqual([
      { type: 'Rejected', reason: `no case PI-202611-0000042 on waybill ${WB}` },
    ]);
    d.feed(reply('11-23 12:00', 'FAILED_DELIVERY', 'DELIVER'));
    expect(d.cases).toEqual([]);
    d.feed(failed('11-23 10:00', 1));
    expect(d.case('FAILED_DELIVERY').state).toBe('INSTRUCTED');
  });

  it('resolves a reply by case number once persistence has assigned it', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
    d.state = { ...d.state!, cases: d.state!.cases.map((c) => ({ ...c, caseNo: 'PI-202611-0000007' })) };
    d.feed(reply('11-23 12:00', 'FAILED_DELIVERY', 'DELIVER', { caseRef: { caseNo: 'PI-202611-0000007' } }));
    expect(d.case('FAILED_DELIVERY').state).toBe('INSTRUCTED');
  });

  describe('timers', () => {
    function armed() {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1));
      const deadline = d.deadline('FAILED_DELIVERY', 'D4-a1');
      return { d, deadline };
    }

    it('a timer for a deadline no longer PENDING is stale: ignored', () => {
      const { d, deadline } = armed();
      d.feed(registration('11-23 11:00', DB, 'NOBODY_HOME'));
      const effects = d.input({ kind: 'timer', deadlineId: deadline.id, caseId: deadline.caseId, dueAt: deadline.dueAt, firedAt: u('11-24 00:00') });
      expect(effects).toEqual([{ type: 'Ignored', reason: `stale timer ${deadline.id}: deadline is MET` }]);
    });

    it('a timer whose dueAt differs from the stored one is stale: ignored', () => {
      const { d, deadline } = armed();
      const before = d.state;
      const effects = d.input({ kind: 'timer', deadlineId: deadline.id, caseId: deadline.caseId, dueAt: u('11-23 20:00'), firedAt: u('11-24 00:00') });
      expect(effects[0]).toMatchObject({ type: 'Ignored', reason: expect.stringContaining('stale timer') });
      expect(d.state).toBe(before);
    });

    it('a timer fired before its due time, for an unknown deadline, or without state is ignored', () => {
      const { d, deadline } = armed();
      expect(d.input({ kind: 'timer', deadlineId: deadline.id, caseId: deadline.caseId, dueAt: deadline.dueAt, firedAt: u('11-23 12:00') })[0]).toMatchObject({ type: 'Ignored', reason: expect.stringContaining('before its due time') });
      expect(d.input({ kind: 'timer', deadlineId: 'x', caseId: deadline.caseId, dueAt: deadline.dueAt, firedAt: u('11-25 00:00') })[0]).toMatchObject({ type: 'Ignored', reason: expect.stringContaining('unknown deadline') });
      const none = decide(null, { kind: 'timer', deadlineId: `${WB}-DWELL-v1`, caseId: null, dueAt: u('11-24 00:00'), firedAt: u('11-24 00:00') }, testPolicy());
      expect(none.state.waybillNo).toBe(WB);
      expect(none.effects[0]).toMatchObject({ type: 'Ignored' });
    });

    it('a missed deadline records processing time as missedAt but judges by event time', () => {
      const { d, deadline } = armed();
      d.input({ kind: 'timer', deadlineId: deadline.id, caseId: deadline.caseId, dueAt: deadline.dueAt, firedAt: u('11-24 06:00') });
      expect(d.deadline('FAILED_DELIVERY', 'D4-a1')).toMatchObject({ status: 'MISSED', missedAt: u('11-24 06:00'), dueAt: u('11-23 23:59:59.999') });
      // ladder steps count from the due time, not from when the timer happened to fire
      expect(d.deadline('FAILED_DELIVERY', 'ESC1').dueAt).toBe(u('11-24 01:59:59.999'));
    });
  });

  it('is deterministic: the same inputs give the same state and effects', () => {
    const inputs = [pickup('11-23 06:00'), failed('11-23 10:00', 1), registration('11-23 11:00', DB, 'NOBODY_HOME', { notifyBranch: 'B0401' })].map(parsed);
    const run = () => {
      let state: WaybillState | null = null;
      const effects = [];
      for (const event of inputs) {
        const decision = decide(state, { kind: 'event', event }, testPolicy());
        state = decision.state;
        effects.push(...decision.effects);
      }
      return { state, effects };
    };
    expect(run()).toEqual(run());
  });
});
