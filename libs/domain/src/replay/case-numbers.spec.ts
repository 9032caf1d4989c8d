import type { ProblemCase, WaybillState } from '../engine/types.js';
import { assignCaseNumbers, createCaseNumberSequence, formatCaseNo, parseCaseNo } from './case-numbers.js';

function caseOf(id: string, openedAt: string, caseNoMonth: string, caseNo: string | null = null): ProblemCase {
  return {
    id,
    caseNo,
    caseNoMonth,
    waybillNo: 'ZT0000000001',
    caseClass: 'FAILED_DELIVERY',
    reasonCode: 'NOBODY_HOME',
    state: 'OPEN',
    flags: { overdue: [], escalationLevel: 0, noReply: false, underHqReview: false, favourableToDb: false, wrongTarget: false },
    openedAt,
    closedAt: null,
    outcome: null,
    originBranch: null,
    deliveringBranch: null,
    reportedBySite: null,
    registeredAt: null,
    detectedBy: 'SCAN',
    timeline: [],
    deadlines: [],
    liabilities: [],
    data: {},
  };
}

function stateWith(cases: ProblemCase[]): WaybillState {
  return { waybillNo: 'ZT0000000001', version: 1, pickup: null, deliveringBranch: null, pending: [], seenEventIds: [], facts: {}, cases, timers: [] };
}

describe('case numbers', () => {
  it('formats PI-YYYYMM-NNNNNNN', () => {
    expect(formatCaseNo('202611', 1)).toBe('PI-202611-0000001');
    expect(formatCaseNo('202612', 9_999_999)).toBe('PI-202612-9999999');
  });

  it.each([
    ['202613', 1],
    ['2026-11', 1],
    ['202611', 0],
    ['202611', 10_000_000],
    ['202611', 1.5],
  ])('refuses month %s serial %s', (month, serial) => {
    expect(() => formatCaseNo(month, serial)).toThrow(RangeError);
  });

  it('parses what it formats and nothing else', () => {
    expect(parseCaseNo('PI-202611-0000042')).toEqual({ month: '202611', serial: 42 });
    expect(parseCaseNo('PI-202611-0000000')).toBeNull();
    expect(parseCaseNo('PI-202600-0000001')).toBeNull();
    expect(parseCaseNo('PI-202611-42')).toBeNull();
  });

  it('counts serials per month', () => {
    const next = createCaseNumberSequence();
    expect([next('202611'), next('202611'), next('202612'), next('202611')]).toEqual([1, 2, 1, 3]);
  });

  it('numbers unnumbered cases in order of opening, without touching the input', () => {
    const state = stateWith([
      caseOf('late', '2026-11-23T05:00:00.000Z', '202611'),
      caseOf('numbered', '2026-11-23T01:00:00.000Z', '202611', 'PI-202611-0000007'),
      caseOf('early', '2026-11-23T02:00:00.000Z', '202611'),
      caseOf('december', '2026-11-30T16:30:00.000Z', '202612'),
    ]);
    const snapshot = structuredClone(state);
    const numbered = assignCaseNumbers(state, createCaseNumberSequence());
    expect(numbered.cases.map((c) => [c.id, c.caseNo])).toEqual([
      ['late', 'PI-202611-0000002'],
      ['numbered', 'PI-202611-0000007'],
      ['early', 'PI-202611-0000001'],
      ['december', 'PI-202612-0000001'],
    ]);
    expect(state).toEqual(snapshot);
  });

  it('returns the same state when every case has a number', () => {
    const state = stateWith([caseOf('one', '2026-11-23T01:00:00.000Z', '202611', 'PI-202611-0000001')]);
    expect(assignCaseNumbers(state, () => 99)).toBe(state);
  });
});
