import { replayAll, type ReplayResult } from '#domain';
import { generateDay, type SimulatedDay } from './generator.js';
import { toNdjsonLine } from './sinks/ndjson.js';

/**
 * The ground truth is only useful if it says what the rules say. Replaying a simulated day through the domain
 * engine (in memory, event-time clock) must open exactly the injected cases, end them as expected and judge
 * every expected deadline the same way.
 */
describe('ground truth against the domain engine', () => {
  let day: SimulatedDay;
  let result: ReplayResult;
  const caseKey = (waybillNo: string, caseClass: string, reasonCode: string) => `${waybillNo}|${caseClass}|${reasonCode}`;

  beforeAll(() => {
    day = generateDay({ seed: 9, day: '2026-11-22', waybills: 1_500 });
    // Run the clock well past the last event so that every deadline has been judged.
    result = replayAll(day.envelopes.map(toNdjsonLine), day.policy, { until: '2026-12-02T00:00:00+08:00' });
  });

  it('rejects exactly the malformed messages', () => {
    expect(result.counts.rejected).toBe(day.truth.stream.malformed.count);
    expect(result.counts.events).toBe(day.envelopes.length - day.truth.stream.malformed.count);
  });

  it('opens one case per injected problem and no other', () => {
    const opened = result.cases.map((c) => caseKey(c.waybillNo, c.caseClass, c.reasonCode)).sort();
    const injected = day.truth.problems.map((p) => caseKey(p.waybillNo, p.caseClass, p.reasonCode)).sort();
    expect(opened).toEqual(injected);
  });

  it('detects each problem the way the truth says and ends it with the expected outcome', () => {
    const cases = new Map(result.cases.map((c) => [caseKey(c.waybillNo, c.caseClass, c.reasonCode), c]));
    const disagreements: string[] = [];
    for (const problem of day.truth.problems) {
      const found = cases.get(caseKey(problem.waybillNo, problem.caseClass, problem.reasonCode))!;
      if (found.detectedBy !== problem.detection) disagreements.push(`${problem.scenario}: detected by ${found.detectedBy}`);
      if (found.outcome !== problem.expectedOutcome) disagreements.push(`${problem.scenario}: outcome ${found.outcome}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('misses exactly the deadlines the truth expects to be missed', () => {
    const cases = new Map(result.cases.map((c) => [caseKey(c.waybillNo, c.caseClass, c.reasonCode), c]));
    const disagreements: string[] = [];
    for (const problem of day.truth.problems) {
      const found = cases.get(caseKey(problem.waybillNo, problem.caseClass, problem.reasonCode))!;
      for (const expected of problem.expected) {
        // D9 is the liability rule of a missed D4 (all in-time registrations named the wrong branch).
        const rule = expected.rule === 'D9' ? 'D4' : expected.rule;
        const missed = result.deadlines.some((d) => d.caseId === found.caseId && d.rule === rule && d.status === 'MISSED');
        if (missed !== (expected.outcome === 'MISSED')) disagreements.push(`${problem.scenario} ${expected.rule}: engine ${missed ? 'MISSED' : 'not missed'}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('retracts the overdue records raised before a late registration arrived', () => {
    // Every registration that can arrive late does.
    const lateDay = generateDay({ seed: 10, day: '2026-11-22', waybills: 1_500, lateRate: 1 });
    const replayed = replayAll(lateDay.envelopes.map(toNdjsonLine), lateDay.policy, { until: '2026-12-02T00:00:00+08:00' });
    const late = lateDay.truth.stream.late.items.filter((item) => item.expectRetraction);
    expect(late.length).toBeGreaterThan(0);
    for (const item of late) {
      const retractions = replayed.liabilities.filter(
        (record) => record.waybillNo === item.waybillNo && record.kind === 'RETRACTION' && record.rule === item.expectRetraction!.rule,
      );
      expect({ eventId: item.eventId, retractions: retractions.length }).toEqual({ eventId: item.eventId, retractions: 1 });
    }
  });
});
