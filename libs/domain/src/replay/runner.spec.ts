import type { Decision, Deadline, EngineInput, Effect, ProblemCase, WaybillState } from '../engine/types.js';
import { loadPolicy, type Policy } from '../policy/index.js';
import { addMinutes, localMonthKey, toUtcIso } from '../time/index.js';
import { createReplay, replayAll, type DecideFn } from './runner.js';

/*
 * The runner's own mechanics (clock, timers, case numbers, counting) against a small fake engine, so these tests
 * pin the runner whatever the real rules do. The fake: a HUB_ARRIVAL opens a case with a D2 deadline an hour
 * later; a HUB_DEPARTURE moves it to 30 minutes after the departure; a BRANCH_ARRIVAL cancels it; a fired D2 is
 * MISSED, records a liability, issues an alert twice (same identity) and arms ESC1 due at the same instant.
 * A SIGNED scan is answered with a Rejected and an Ignored effect. Every input is logged.
 */

const policy = loadPolicy({ version: 'runner-test' });
const WB1 = 'ZT0000000001';
const WB2 = 'ZT0000000002';
const WB3 = 'ZT0000000003';
const WB4 = 'ZT0000000004';

let eventSeq = 0;
function scan(waybillNo: string, scanType: string, occurredAt: string, extra: Record<string, unknown> = {}): string {
  const siteType = scanType.startsWith('HUB') ? 'HUB' : 'BRANCH';
  const value = { eventId: `ev-${++eventSeq}`, schemaVersion: 1, waybillNo, occurredAt, siteCode: 'S01', siteType, scanType, ...extra };
  return JSON.stringify({ topic: 'courier.scan.v1', key: waybillNo, value });
}
const local = (hhmm: string, day = '2026-11-23') => `${day}T${hhmm}:00+08:00`;
const utc = (hhmm: string, day = '2026-11-23') => toUtcIso(local(hhmm, day));

function fakeEngine(options: { rearmForever?: boolean } = {}) {
  const log: string[] = [];
  const decide: DecideFn = (state, input: EngineInput, pol: Policy): Decision => {
    const effects: Effect[] = [];
    if (input.kind !== 'event' && input.kind !== 'timer') throw new Error('HQ review inputs are not used here');
    const waybillNo = input.kind === 'event' ? input.event.waybillNo : state!.waybillNo;
    const next: WaybillState = state
      ? structuredClone(state)
      : { waybillNo, version: 0, pickup: null, deliveringBranch: null, pending: [], seenEventIds: [], facts: {}, cases: [], timers: [] };
    next.version++;
    const latest = next.cases.at(-1);

    if (input.kind === 'timer') {
      log.push(`timer ${input.deadlineId} due ${input.dueAt} fired ${input.firedAt}`);
      const c = next.cases.find((candidate) => candidate.id === input.caseId)!;
      const deadline = c.deadlines.find((d) => d.id === input.deadlineId)!;
      if (options.rearmForever) {
        effects.push({ type: 'DeadlineArmed', deadline });
        return { state: next, effects };
      }
      deadline.status = 'MISSED';
      deadline.missedAt = input.firedAt;
      effects.push({ type: 'DeadlineMissed', deadline });
      if (deadline.rule === 'D2') {
        const record = {
          id: `${deadline.id}-RECORD`, kind: 'RECORD' as const, caseId: c.id, deadlineId: deadline.id, rule: 'D2' as const,
          party: 'HUB' as const, siteCode: 'S01', dueAt: deadline.dueAt, metAt: null, minutesLate: 0, evidence: {},
          favourableToDb: false, refersTo: null, recordedAt: input.firedAt,
        };
        c.liabilities.push(record);
        effects.push({ type: 'LiabilityRecorded', record });
        const notification = {
          id: `${deadline.id}-ALERT`, caseId: c.id, kind: 'SITE_ALERT', channel: 'BRANCH_ALERT' as const, targetRole: 'HUB',
          targetSite: 'S01', recipient: null, templateKey: null, body: 'overdue', vars: {}, eventTime: input.firedAt,
          notBefore: null, attempt: null, alreadySent: false,
        };
        effects.push({ type: 'NotificationIntended', notification }, { type: 'NotificationIntended', notification });
        const escalation: Deadline = { ...deadline, id: `${c.id}-ESC1`, rule: 'ESC1', status: 'PENDING', missedAt: null };
        c.deadlines.push(escalation);
        effects.push({ type: 'DeadlineArmed', deadline: escalation });
      }
      return { state: next, effects };
    }

    const event = input.event;
    log.push(`event ${event.waybillNo} ${'scanType' in event ? event.scanType : event.kind} at ${toUtcIso(event.occurredAt)}`);
    if (event.kind === 'scan' && event.scanType === 'HUB_ARRIVAL') {
      const caseId = `${waybillNo}-WRONG_ROUTING-${next.cases.length + 1}`;
      const deadline: Deadline = {
        id: `${caseId}-D2`, caseId, rule: 'D2', dueAt: addMinutes(event.occurredAt, 60).toISOString(), party: 'HUB',
        siteCode: 'S01', status: 'PENDING', armedAt: toUtcIso(event.occurredAt),
      };
      const opened: ProblemCase = {
        id: caseId, caseNo: null, caseNoMonth: localMonthKey(event.occurredAt, pol.timeZone), waybillNo,
        caseClass: 'WRONG_ROUTING', reasonCode: 'MISSENT', state: 'OPEN',
        flags: { overdue: [], escalationLevel: 0, noReply: false, underHqReview: false, favourableToDb: false, wrongTarget: false },
        openedAt: toUtcIso(event.occurredAt), closedAt: null, outcome: null, originBranch: null, deliveringBranch: null,
        reportedBySite: 'S01', registeredAt: null, detectedBy: 'SCAN', timeline: [], deadlines: [deadline], liabilities: [], data: {},
      };
      next.cases.push(opened);
      effects.push({ type: 'CaseOpened', caseId }, { type: 'DeadlineArmed', deadline });
    } else if (event.kind === 'scan' && event.scanType === 'HUB_DEPARTURE' && latest) {
      const deadline = latest.deadlines.find((d) => d.rule === 'D2')!;
      const previousDueAt = deadline.dueAt;
      deadline.dueAt = addMinutes(event.occurredAt, 30).toISOString();
      effects.push({ type: 'DeadlineMoved', deadline, previousDueAt });
    } else if (event.kind === 'scan' && event.scanType === 'BRANCH_ARRIVAL' && latest) {
      for (const deadline of latest.deadlines.filter((d) => d.status === 'PENDING')) {
        deadline.status = 'CANCELLED';
        effects.push({ type: 'DeadlineCancelled', deadline });
      }
    } else if (event.kind === 'scan' && event.scanType === 'SIGNED') {
      effects.push({ type: 'Rejected', reason: 'reply names an unknown case "PI-202611-0000099"' });
      effects.push({ type: 'Ignored', reason: 'duplicate eventId' });
    }
    return { state: next, effects };
  };
  return { decide, log };
}

describe('createReplay: event-time clock', () => {
  it('fires timers due before an event first, in due order, at the new watermark', () => {
    const engine = fakeEngine();
    const replay = createReplay(policy, { decide: engine.decide });
    replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00'))); // D2 due 10:00
    replay.feed(scan(WB2, 'HUB_ARRIVAL', local('09:30'))); // D2 due 10:30
    replay.feed(scan(WB4, 'BRANCH_ARRIVAL', local('10:45')));
    expect(engine.log).toEqual([
      `event ${WB1} HUB_ARRIVAL at ${utc('09:00')}`,
      `event ${WB2} HUB_ARRIVAL at ${utc('09:30')}`,
      // ESC1, armed by the first firing and due at 10:00 too, still fires before the 10:45 event, after W1's D2.
      `timer ${WB1}-WRONG_ROUTING-1-D2 due ${utc('10:00')} fired ${utc('10:45')}`,
      `timer ${WB1}-WRONG_ROUTING-1-ESC1 due ${utc('10:00')} fired ${utc('10:45')}`,
      `timer ${WB2}-WRONG_ROUTING-1-D2 due ${utc('10:30')} fired ${utc('10:45')}`,
      `timer ${WB2}-WRONG_ROUTING-1-ESC1 due ${utc('10:30')} fired ${utc('10:45')}`,
      `event ${WB4} BRANCH_ARRIVAL at ${utc('10:45')}`,
    ]);
    expect(replay.watermark).toBe(utc('10:45'));
  });

  it('applies an event at the very instant a timer is due before firing the timer', () => {
    const engine = fakeEngine();
    const replay = createReplay(policy, { decide: engine.decide });
    replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00'))); // D2 due 10:00
    replay.feed(scan(WB2, 'HUB_ARRIVAL', local('10:00')));
    expect(engine.log.at(-1)).toBe(`event ${WB2} HUB_ARRIVAL at ${utc('10:00')}`);
    expect(engine.log.some((line) => line.startsWith('timer'))).toBe(false);
    replay.feed(scan(WB3, 'HUB_ARRIVAL', '2026-11-23T10:00:00.001+08:00'));
    expect(engine.log.filter((line) => line.startsWith('timer'))).toHaveLength(2); // D2 and its ESC1
  });

  it('does not move the clock or fire timers on a late event', () => {
    const engine = fakeEngine();
    const replay = createReplay(policy, { decide: engine.decide });
    replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00'))); // due 10:00
    replay.feed(scan(WB2, 'HUB_ARRIVAL', local('09:50'))); // due 10:50
    replay.feed(scan(WB3, 'BRANCH_ARRIVAL', local('10:30'))); // fires W1
    const timersSoFar = engine.log.filter((line) => line.startsWith('timer')).length;
    replay.feed(scan(WB3, 'BRANCH_ARRIVAL', local('08:00')));
    expect(engine.log.filter((line) => line.startsWith('timer')).length).toBe(timersSoFar);
    expect(replay.watermark).toBe(utc('10:30'));
  });

  it('fires a deadline that a late event arms behind the clock right after that event', () => {
    const engine = fakeEngine();
    const replay = createReplay(policy, { decide: engine.decide });
    replay.feed(scan(WB1, 'BRANCH_ARRIVAL', local('12:00')));
    replay.feed(scan(WB2, 'HUB_ARRIVAL', local('10:00'))); // late: D2 due 11:00, an hour behind the clock
    expect(engine.log).toEqual([
      `event ${WB1} BRANCH_ARRIVAL at ${utc('12:00')}`,
      `event ${WB2} HUB_ARRIVAL at ${utc('10:00')}`,
      `timer ${WB2}-WRONG_ROUTING-1-D2 due ${utc('11:00')} fired ${utc('12:00')}`,
      `timer ${WB2}-WRONG_ROUTING-1-ESC1 due ${utc('11:00')} fired ${utc('12:00')}`,
    ]);
  });

  it('fires a moved deadline at its new time and never a cancelled one', () => {
    const engine = fakeEngine();
    const result = replayAll(
      [
        scan(WB1, 'HUB_ARRIVAL', local('09:00')), // due 10:00
        scan(WB1, 'HUB_DEPARTURE', local('09:10'), { nextSiteCode: 'B01' }), // moved to 09:40
        scan(WB2, 'HUB_ARRIVAL', local('09:20')), // due 10:20
        scan(WB2, 'BRANCH_ARRIVAL', local('09:30')), // cancelled
        scan(WB3, 'BRANCH_ARRIVAL', local('12:00')),
      ],
      policy,
      { decide: engine.decide },
    );
    expect(engine.log.filter((line) => line.startsWith('timer'))).toEqual([
      `timer ${WB1}-WRONG_ROUTING-1-D2 due ${utc('09:40')} fired ${utc('12:00')}`,
      `timer ${WB1}-WRONG_ROUTING-1-ESC1 due ${utc('09:40')} fired ${utc('12:00')}`,
    ]);
    expect(result.deadlines.map((d) => [d.id, d.rule, d.status])).toEqual([
      [`${WB1}-WRONG_ROUTING-1-D2`, 'D2', 'MISSED'],
      [`${WB1}-WRONG_ROUTING-1-ESC1`, 'ESC1', 'MISSED'],
      [`${WB2}-WRONG_ROUTING-1-D2`, 'D2', 'CANCELLED'],
    ]);
  });

  it('runs the clock on to `until`, firing each timer at its own due time', () => {
    const engine = fakeEngine();
    const replay = createReplay(policy, { decide: engine.decide });
    replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00'))); // due 10:00
    replay.feed(scan(WB2, 'HUB_ARRIVAL', local('09:30'))); // due 10:30
    replay.advanceTo(local('10:15'));
    expect(engine.log.filter((line) => line.startsWith('timer'))).toEqual([
      `timer ${WB1}-WRONG_ROUTING-1-D2 due ${utc('10:00')} fired ${utc('10:00')}`,
      `timer ${WB1}-WRONG_ROUTING-1-ESC1 due ${utc('10:00')} fired ${utc('10:00')}`,
    ]);
    expect(replay.watermark).toBe(utc('10:15'));
    expect(replay.result().deadlines.find((d) => d.waybillNo === WB2)?.status).toBe('PENDING');
    replay.advanceTo(local('10:30')); // inclusive
    expect(replay.result().deadlines.find((d) => d.waybillNo === WB2)?.status).toBe('MISSED');
  });

  it('stops an engine that re-arms a timer at the time it just fired', () => {
    const engine = fakeEngine({ rearmForever: true });
    const replay = createReplay(policy, { decide: engine.decide });
    replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00')));
    expect(() => replay.advanceTo(local('11:00'))).toThrow(`engine re-armed timer ${WB1}-WRONG_ROUTING-1-D2`);
  });

  it('names the waybill and input when the engine throws', () => {
    const replay = createReplay(policy, {
      decide: () => {
        throw new Error('boom');
      },
    });
    expect(() => replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00')))).toThrow(/^engine failed on event ev-\d+ of waybill ZT0000000001: boom$/);
  });
});

describe('createReplay: result', () => {
  it('numbers cases per local month in order of opening across waybills', () => {
    const engine = fakeEngine();
    const result = replayAll(
      [
        scan(WB1, 'HUB_ARRIVAL', local('23:00', '2026-11-30')),
        scan(WB2, 'HUB_ARRIVAL', local('00:30', '2026-12-01')), // 16:30Z on 30 Nov, but December in Shanghai
        scan(WB3, 'HUB_ARRIVAL', local('01:00', '2026-12-01')),
        scan(WB1, 'HUB_ARRIVAL', local('02:00', '2026-12-01')),
      ],
      policy,
      { decide: engine.decide },
    );
    expect(result.cases.map((c) => [c.caseId, c.caseNo])).toEqual([
      [`${WB1}-WRONG_ROUTING-1`, 'PI-202611-0000001'],
      [`${WB2}-WRONG_ROUTING-1`, 'PI-202612-0000001'],
      [`${WB3}-WRONG_ROUTING-1`, 'PI-202612-0000002'],
      [`${WB1}-WRONG_ROUTING-2`, 'PI-202612-0000003'],
    ]);
    expect(result.deadlines.filter((d) => d.caseId === `${WB1}-WRONG_ROUTING-2`).map((d) => d.caseNo)).toEqual(['PI-202612-0000003']);
  });

  it('counts rejected input by cause, and rejected input does not move the clock', () => {
    const engine = fakeEngine();
    const replay = createReplay(policy, { decide: engine.decide });
    expect(replay.feed(scan(WB1, 'HUB_ARRIVAL', local('09:00')))).toMatchObject({ status: 'applied', waybillNo: WB1 });
    expect(replay.feed('   ')).toEqual({ status: 'blank' });
    expect(replay.feed('{"topic": "courier.scan.v1", ')).toEqual({ status: 'rejected', reason: 'invalid envelope: not JSON' });
    const mismatched = JSON.parse(scan(WB2, 'HUB_ARRIVAL', local('09:10')));
    mismatched.key = 'ZT0000000009';
    expect(replay.feed(mismatched)).toEqual({ status: 'rejected', reason: `key "ZT0000000009" differs from waybillNo "${WB2}"` });
    mismatched.key = 'ZT0000000008';
    replay.feed(mismatched);
    // More than 7 days after the watermark (09:00), so rejected; the clock stays at 09:00.
    const future = replay.feed(scan(WB3, 'HUB_ARRIVAL', local('09:01', '2026-11-30')));
    expect(future.status).toBe('rejected');
    expect(replay.watermark).toBe(utc('09:00'));
    replay.feed(scan(WB1, 'SIGNED', local('09:30'), { signer: 'self' }));

    const result = replay.result();
    expect(result.rejected).toEqual({
      'invalid envelope: not JSON': 1,
      'key "…" differs from waybillNo "…"': 2,
      'occurredAt: <time> is more than 7 days after the processing time <time>': 1,
      'reply names an unknown case "…"': 1,
    });
    expect(result.ignored).toEqual({ 'duplicate eventId': 1 });
    expect(result.counts).toEqual({ messages: 6, events: 2, rejected: 5, timersFired: 0, waybills: 1 });
  });

  it('reports each notification identity once, with its case number, and the liabilities of the cases', () => {
    const engine = fakeEngine();
    const result = replayAll([scan(WB1, 'HUB_ARRIVAL', local('09:00'))], policy, { decide: engine.decide, until: local('12:00') });
    expect(result.notifications).toHaveLength(1);
    expect(result.notifications[0]).toMatchObject({ id: `${WB1}-WRONG_ROUTING-1-D2-ALERT`, waybillNo: WB1, caseNo: 'PI-202611-0000001' });
    expect(result.liabilities).toEqual([
      expect.objectContaining({ id: `${WB1}-WRONG_ROUTING-1-D2-RECORD`, party: 'HUB', waybillNo: WB1, caseNo: 'PI-202611-0000001' }),
    ]);
    expect(result.effects).toEqual({
      CaseOpened: 1,
      DeadlineArmed: 2,
      DeadlineMissed: 2,
      LiabilityRecorded: 1,
      NotificationIntended: 2,
    });
    expect(result.policy).toEqual({ version: 'runner-test', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(result.watermark).toBe(utc('12:00'));
  });

  it('is deterministic: the same messages give the same result', () => {
    const lines = [scan(WB1, 'HUB_ARRIVAL', local('09:00')), scan(WB2, 'HUB_ARRIVAL', local('09:30')), scan(WB3, 'BRANCH_ARRIVAL', local('11:00'))];
    const first = replayAll(lines, policy, { decide: fakeEngine().decide, until: local('23:00') });
    const second = replayAll(lines, policy, { decide: fakeEngine().decide, until: local('23:00') });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });
});
