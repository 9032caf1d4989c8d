import type { Redis } from 'ioredis';
import type { GroundTruth, InjectedProblem } from '../../apps/simulator/src/truth.js';
import type { GatewayRecord } from '../../scripts/dev/fake-gateway.js';
import { checkInvariants, ZERO_FIGURES, type CheckInput } from '../../scripts/chaos/invariants.js';

/**
 * The chaos run's checker must be able to fail: each figure is driven off zero by the fault it names, on a small
 * hand-made world (two injected problems, their deadlines, the notification log, the gateway's log, the timers).
 */
const NOW = new Date('2026-11-24T12:00:00+08:00');
const PAST = '2026-11-23T21:00:00.000+08:00';
const FUTURE = '2026-11-25T10:00:00.000+08:00';

function problem(waybillNo: string, expected: InjectedProblem['expected']): InjectedProblem {
  return {
    waybillNo,
    scenario: 'failed-delivery/test',
    caseClass: 'FAILED_DELIVERY',
    reasonCode: 'NOBODY_HOME',
    detection: 'SCAN',
    detectedAt: '2026-11-23T15:00:00+08:00',
    detectedBy: 'DELIVERY_FAILED',
    originBranch: 'B0101',
    deliveringBranch: 'B0202',
    expected,
    flags: {},
    expectedOutcome: null,
  };
}

interface World {
  cases: Record<string, unknown>[];
  deadlines: Record<string, unknown>[];
  liabilities: Record<string, unknown>[];
  notifications: Record<string, unknown>[];
  timers: Record<string, number>;
  gateway: GatewayRecord[];
  truth: GroundTruth;
}

function world(): World {
  const truth = {
    problems: [
      problem('WB1', [{ rule: 'D4', outcome: 'MISSED', party: 'DB', siteCode: 'B0202', dueAt: PAST }]),
      problem('WB2', [
        { rule: 'D4', outcome: 'MET', party: 'DB', siteCode: 'B0202', dueAt: PAST },
        { rule: 'D5', outcome: 'MET', party: 'OB', siteCode: 'B0101', dueAt: FUTURE },
      ]),
    ],
    stream: { late: { count: 0, items: [] } },
  } as unknown as GroundTruth;
  const sms = (key: string, caseId: string): GatewayRecord => ({
    path: '/sms',
    idempotencyKey: key,
    authorization: null,
    body: { caseId, kind: 'CUSTOMER_SMS', to: '13700000000', text: '您好', eventTime: PAST },
    receivedAt: NOW.toISOString(),
    outcome: 'delivered',
    status: 200,
  });
  return {
    truth,
    cases: [
      { case_id: 'WB1-FD-1', waybill_no: 'WB1', case_class: 'FAILED_DELIVERY', reason_code: 'NOBODY_HOME' },
      { case_id: 'WB2-FD-1', waybill_no: 'WB2', case_class: 'FAILED_DELIVERY', reason_code: 'NOBODY_HOME' },
    ],
    deadlines: [
      { deadline_id: 'WB1-D4', case_id: 'WB1-FD-1', rule: 'D4', due_at: new Date(PAST), status: 'MISSED', exempt: false },
      { deadline_id: 'WB2-D4', case_id: 'WB2-FD-1', rule: 'D4', due_at: new Date(PAST), status: 'MET', exempt: false },
      { deadline_id: 'WB2-D5', case_id: 'WB2-FD-1', rule: 'D5', due_at: new Date(FUTURE), status: 'PENDING', exempt: false },
    ],
    liabilities: [{ record_id: 'WB1-D4-RECORD', kind: 'RECORD', deadline_id: 'WB1-D4', refers_to: null, rule: 'D4' }],
    notifications: [
      { notification_id: 'N1', case_id: 'WB1-FD-1', kind: 'CUSTOMER_SMS', channel: 'SMS', target_role: 'RECIPIENT', target_site: null,
        recipient: '13700000000', content_sha256: 'a', event_time: new Date(PAST), status: 'SENT' },
    ],
    timers: { 'WB2-D5': Date.parse(FUTURE) },
    gateway: [sms('N1', 'WB1-FD-1')],
  };
}

/** Just what the checker asks of Redis: the queue's sets and lists, and the job hashes. */
function redisOf(timers: Record<string, number>): Redis {
  const delayed = Object.entries(timers).flatMap(([id, due]) => [id, String(due * 0x1000)]);
  return {
    zrange: async (key: string) => (key.endsWith('delayed') ? delayed : []),
    lrange: async () => [],
    pipeline: () => {
      const ids: string[] = [];
      const pipe = {
        hmget: (key: string) => (ids.push(key.split(':').pop()!), pipe),
        exec: async () => ids.map((id) => [null, id in timers ? ['1', null] : [null, null]]),
      };
      return pipe;
    },
  } as unknown as Redis;
}

function input(w: World): CheckInput {
  const query = async <T>(sql: string): Promise<T[]> => {
    if (sql.includes('FROM problem_case')) return w.cases as T[];
    if (sql.includes('FROM deadline')) return w.deadlines as T[];
    if (sql.includes('FROM liability_record')) return w.liabilities as T[];
    if (sql.includes('FROM notification')) return w.notifications as T[];
    throw new Error(`unexpected query ${sql}`);
  };
  return { truth: w.truth, query, redis: redisOf(w.timers), gateway: w.gateway, now: NOW };
}

async function nonZero(w: World): Promise<Record<string, number>> {
  const { figures } = await checkInvariants(input(w));
  return Object.fromEntries(ZERO_FIGURES.filter((f) => figures[f] !== 0).map((f) => [f, figures[f]]));
}

describe('chaos invariants checker', () => {
  it('finds nothing wrong in a world where everything holds', async () => {
    expect(await nonZero(world())).toEqual({});
    const { figures } = await checkInvariants(input(world()));
    expect(figures).toMatchObject({ expectedCases: 2, cases: 2, deadlinesChecked: 3 });
  });

  it('counts a lost case, a duplicate case and a case nobody injected', async () => {
    const w = world();
    w.cases = [w.cases[0]!, w.cases[0]!, { case_id: 'WB9-X', waybill_no: 'WB9', case_class: 'DAMAGE', reason_code: 'DAMAGED' }];
    expect(await nonZero(w)).toMatchObject({ lostCases: 1, duplicateCases: 1, unexpectedCases: 1 });
  });

  it('counts an SMS delivered twice, under one key or under two', async () => {
    const w = world();
    w.gateway.push({ ...w.gateway[0]! }, { ...w.gateway[0]!, idempotencyKey: 'N1-again' });
    expect((await nonZero(w)).duplicateSms).toBe(2);
  });

  it('counts a notification logged SENT that the gateway never delivered, and a delivery nobody logged', async () => {
    const w = world();
    w.gateway = [{ ...w.gateway[0]!, idempotencyKey: 'N2' }];
    expect((await nonZero(w)).lostNotifications).toBe(2);
  });

  it('counts a pending deadline without a timer, or with one set after its due time', async () => {
    const w = world();
    w.timers = {};
    expect(await nonZero(w)).toEqual({ unarmedDeadlines: 1 });
    w.timers = { 'WB2-D5': Date.parse(FUTURE) + 60_000 };
    expect(await nonZero(w)).toEqual({ unarmedDeadlines: 1 });
  });

  it('counts a due deadline never judged', async () => {
    const w = world();
    w.deadlines[1] = { ...w.deadlines[1]!, status: 'PENDING' };
    expect((await nonZero(w)).unjudgedDeadlines).toBe(1);
  });

  it('counts deadlines judged against the truth wrongly, a missing RECORD, a duplicate one and a false alarm', async () => {
    const expectedMissedButMet = world();
    expectedMissedButMet.deadlines[0] = { ...expectedMissedButMet.deadlines[0]!, status: 'MET' };
    expectedMissedButMet.liabilities = [];
    expect(await nonZero(expectedMissedButMet)).toEqual({ wrongOverdue: 1 });

    const noRecord = world();
    noRecord.liabilities = [];
    expect(await nonZero(noRecord)).toEqual({ wrongOverdue: 1 });

    const twoRecords = world();
    twoRecords.liabilities.push({ ...twoRecords.liabilities[0]!, record_id: 'WB1-D4-RECORD-2' });
    expect(await nonZero(twoRecords)).toMatchObject({ duplicateLiabilities: 1 });

    const falseAlarm = world();
    falseAlarm.deadlines[1] = { ...falseAlarm.deadlines[1]!, status: 'RETRACTED' };
    falseAlarm.liabilities.push(
      { record_id: 'WB2-D4-RECORD', kind: 'RECORD', deadline_id: 'WB2-D4', refers_to: null, rule: 'D4' },
      { record_id: 'WB2-D4-RETRACTION', kind: 'RETRACTION', deadline_id: 'WB2-D4', refers_to: 'WB2-D4-RECORD', rule: 'D4' },
    );
    expect(await nonZero(falseAlarm)).toEqual({ wrongOverdue: 1 });
  });

  it('counts a deadline the truth expects that does not exist', async () => {
    const w = world();
    w.deadlines = w.deadlines.filter((d) => d.deadline_id !== 'WB2-D4');
    expect(await nonZero(w)).toEqual({ lostDeadlines: 1 });
  });
});
