import type { ReplayCase, ReplayDeadline, ReplayLiability, ReplayNotification, ReplayResult } from './result.js';
import { diffReplays } from './diff.js';
import { liabilitiesInForce, summarizeReplay } from './summary.js';

const flags = { overdue: [], escalationLevel: 0, noReply: false, underHqReview: false, favourableToDb: false, wrongTarget: false };

const caseRow = (waybillNo: string, n: number, overrides: Partial<ReplayCase> = {}): ReplayCase => ({
  caseId: `${waybillNo}-FAILED_DELIVERY-${n}`,
  caseNo: `PI-202611-000000${n}`,
  waybillNo,
  caseClass: 'FAILED_DELIVERY',
  reasonCode: 'NOBODY_HOME',
  state: 'AWAITING_REPLY',
  flags,
  outcome: null,
  detectedBy: 'SCAN',
  openedAt: '2026-11-23T02:00:00.000Z',
  closedAt: null,
  originBranch: 'B01',
  deliveringBranch: 'B02',
  ...overrides,
});

const deadlineRow = (waybillNo: string, rule: ReplayDeadline['rule'], overrides: Partial<ReplayDeadline> = {}): ReplayDeadline => ({
  id: `${waybillNo}-FAILED_DELIVERY-1-${rule}`,
  waybillNo,
  caseId: `${waybillNo}-FAILED_DELIVERY-1`,
  caseNo: 'PI-202611-0000001',
  rule,
  dueAt: '2026-11-24T02:00:00.000Z',
  status: 'PENDING',
  party: 'OB',
  siteCode: 'B01',
  armedAt: '2026-11-23T02:00:00.000Z',
  metAt: null,
  missedAt: null,
  ...overrides,
});

const liabilityRow = (waybillNo: string, overrides: Partial<ReplayLiability> = {}): ReplayLiability => ({
  id: `${waybillNo}-FAILED_DELIVERY-1-D5-RECORD`,
  kind: 'RECORD',
  caseId: `${waybillNo}-FAILED_DELIVERY-1`,
  deadlineId: `${waybillNo}-FAILED_DELIVERY-1-D5`,
  rule: 'D5',
  party: 'OB',
  siteCode: 'B01',
  dueAt: '2026-11-24T02:00:00.000Z',
  metAt: null,
  minutesLate: null,
  evidence: {},
  favourableToDb: false,
  refersTo: null,
  recordedAt: '2026-11-24T02:00:00.000Z',
  waybillNo,
  caseNo: 'PI-202611-0000001',
  ...overrides,
});

const notificationRow = (waybillNo: string, kind: string, overrides: Partial<ReplayNotification> = {}): ReplayNotification => ({
  id: `${waybillNo}-FAILED_DELIVERY-1-${kind}`,
  caseId: `${waybillNo}-FAILED_DELIVERY-1`,
  kind,
  channel: 'BRANCH_ALERT',
  targetRole: 'OB',
  targetSite: 'B01',
  recipient: null,
  templateKey: null,
  body: '',
  vars: {},
  eventTime: '2026-11-23T02:00:00.000Z',
  notBefore: null,
  attempt: null,
  alreadySent: false,
  waybillNo,
  caseNo: 'PI-202611-0000001',
  ...overrides,
});

const resultOf = (version: string, parts: Partial<ReplayResult>): ReplayResult => ({
  policy: { version, fingerprint: version.padEnd(64, '0') },
  watermark: null,
  counts: { messages: 0, events: 0, rejected: 0, timersFired: 0, waybills: 0 },
  cases: [],
  deadlines: [],
  liabilities: [],
  notifications: [],
  rejected: {},
  ignored: {},
  effects: {},
  ...parts,
});

describe('diffReplays', () => {
  it('finds nothing between identical replays', () => {
    const parts = { cases: [caseRow('W1', 1)], deadlines: [deadlineRow('W1', 'D5')], notifications: [notificationRow('W1', 'OB_ALERT')] };
    const diff = diffReplays(resultOf('a', parts), resultOf('b', parts));
    expect(diff.identical).toBe(true);
    expect(diff.waybills).toEqual([]);
    expect(Object.values(diff.changes).every((count) => count === 0)).toBe(true);
    expect(diff.summary.find((row) => row.metric === 'cases')).toEqual({ metric: 'cases', a: 1, b: 1, delta: 0 });
  });

  it('groups every kind of difference by waybill, matching items by id', () => {
    const a = resultOf('a', {
      cases: [caseRow('W1', 1), caseRow('W2', 1)],
      deadlines: [deadlineRow('W1', 'D5'), deadlineRow('W2', 'D4', { party: 'DB' })],
      liabilities: [liabilityRow('W2', { rule: 'D4', party: 'DB', id: 'W2-FAILED_DELIVERY-1-D4-RECORD' })],
      notifications: [notificationRow('W1', 'OB_ALERT'), notificationRow('W2', 'OB_ALERT')],
    });
    const b = resultOf('b', {
      // W1's case got the NO_REPLY flag, its D5 came due earlier and was missed; W3 opened only under B.
      cases: [caseRow('W1', 1, { flags: { ...flags, noReply: true }, caseNo: 'PI-202611-0000009' }), caseRow('W2', 1), caseRow('W3', 1)],
      deadlines: [
        deadlineRow('W1', 'D5', { dueAt: '2026-11-23T14:00:00.000Z', status: 'MISSED', missedAt: '2026-11-23T14:00:00.000Z' }),
        deadlineRow('W2', 'D4', { party: 'DB' }),
      ],
      liabilities: [liabilityRow('W1'), liabilityRow('W2', { rule: 'D4', party: 'DB', id: 'W2-FAILED_DELIVERY-1-D4-RECORD', minutesLate: 30 })],
      notifications: [notificationRow('W2', 'OB_ALERT', { eventTime: '2026-11-23T03:00:00.000Z' }), notificationRow('W1', 'ESCALATION')],
    });
    const diff = diffReplays(a, b);

    expect(diff.identical).toBe(false);
    expect(diff.waybills.map((w) => w.waybillNo)).toEqual(['W1', 'W2', 'W3']);
    const [w1, w2, w3] = diff.waybills;
    // The case number moved (numbering order) but is not reported as a change of the case.
    expect(w1.casesChanged).toEqual([
      { caseId: 'W1-FAILED_DELIVERY-1', caseClass: 'FAILED_DELIVERY', caseNoA: 'PI-202611-0000001', caseNoB: 'PI-202611-0000009', changes: [{ field: 'flags.noReply', a: false, b: true }] },
    ]);
    expect(w1.deadlinesChanged).toEqual([
      {
        id: 'W1-FAILED_DELIVERY-1-D5',
        caseId: 'W1-FAILED_DELIVERY-1',
        rule: 'D5',
        changes: [
          { field: 'dueAt', a: '2026-11-24T02:00:00.000Z', b: '2026-11-23T14:00:00.000Z' },
          { field: 'status', a: 'PENDING', b: 'MISSED' },
        ],
      },
    ]);
    expect(w1.liabilitiesAdded.map((l) => l.id)).toEqual(['W1-FAILED_DELIVERY-1-D5-RECORD']);
    expect(w1.notificationsRemoved.map((n) => n.kind)).toEqual(['OB_ALERT']);
    expect(w1.notificationsAdded.map((n) => n.kind)).toEqual(['ESCALATION']);
    expect(w2.liabilitiesChanged).toEqual([
      { id: 'W2-FAILED_DELIVERY-1-D4-RECORD', caseId: 'W2-FAILED_DELIVERY-1', rule: 'D4', changes: [{ field: 'minutesLate', a: null, b: 30 }] },
    ]);
    expect(w2.notificationsChanged[0].changes).toEqual([{ field: 'eventTime', a: '2026-11-23T02:00:00.000Z', b: '2026-11-23T03:00:00.000Z' }]);
    expect(w3.casesOnlyInB.map((c) => c.caseId)).toEqual(['W3-FAILED_DELIVERY-1']);

    expect(diff.changes).toMatchObject({ casesOnlyInB: 1, casesChanged: 1, deadlinesChanged: 1, liabilitiesAdded: 1, liabilitiesChanged: 1, notificationsAdded: 1, notificationsRemoved: 1 });
    expect(diff.summary).toEqual(
      expect.arrayContaining([
        { metric: 'cases', a: 2, b: 3, delta: 1 },
        { metric: 'overdue.D5', a: 0, b: 1, delta: 1 },
        { metric: 'liabilities.OB', a: 0, b: 1, delta: 1 },
        { metric: 'liabilities.DB', a: 1, b: 1, delta: 0 },
        { metric: 'notifications.ESCALATION', a: 0, b: 1, delta: 1 },
      ]),
    );
  });
});

describe('liabilitiesInForce', () => {
  it('drops retracted and HQ-cancelled records and moves reassigned ones', () => {
    const kept = liabilityRow('W1', { id: 'kept' });
    const retracted = liabilityRow('W2', { id: 'retracted' });
    const cancelled = liabilityRow('W3', { id: 'cancelled' });
    const reassigned = liabilityRow('W4', { id: 'reassigned' });
    const records = [
      kept,
      retracted,
      liabilityRow('W2', { id: 'retracted-RETRACTION', kind: 'RETRACTION', refersTo: 'retracted' }),
      cancelled,
      liabilityRow('W3', { id: 'cancel-review', kind: 'HQ_REVIEW', refersTo: 'cancelled', reviewOutcome: 'CANCEL' }),
      reassigned,
      liabilityRow('W4', { id: 'reassign-review', kind: 'HQ_REVIEW', refersTo: 'reassigned', reviewOutcome: 'REASSIGN', party: 'HUB', siteCode: 'H01' }),
    ];
    expect(liabilitiesInForce(records).map((l) => [l.id, l.party, l.siteCode])).toEqual([
      ['kept', 'OB', 'B01'],
      ['reassigned', 'HUB', 'H01'],
    ]);
    const summary = summarizeReplay(resultOf('a', { liabilities: records }));
    expect(summary.liabilitiesByParty).toEqual({ HUB: 1, OB: 1 });
  });
});
