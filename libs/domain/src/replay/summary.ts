import { effectiveLiabilities } from '../engine/liability.js';
import type { RuleId } from '../engine/types.js';
import type { ReplayLiability, ReplayResult } from './result.js';

/** The headline numbers of a replay (printed to stderr by the CLI, compared by the what-if diff). */
export interface ReplaySummary {
  cases: number;
  casesByClass: Record<string, number>;
  /** Deadlines that ended MISSED (a retracted miss is not counted), by rule; escalation steps and dwell timers apart. */
  overdueByRule: Record<string, number>;
  /** Escalation steps that came due (ESC1: supervisor, ESC2: HQ). */
  escalationsByStep: Record<string, number>;
  /** Liabilities in force, by party: records not retracted, not cancelled by HQ, under the party HQ reassigned them to. */
  liabilitiesByParty: Record<string, number>;
  notificationsByKind: Record<string, number>;
  rejected: number;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The liabilities that stand, under the party that finally carries them (`effectiveLiabilities` of the engine:
 * not retracted, not cancelled by HQ, moved by an HQ reassignment).
 */
export function liabilitiesInForce(records: readonly ReplayLiability[]): ReplayLiability[] {
  return effectiveLiabilities({ liabilities: [...records] }).map(({ record, party, siteCode }) => ({
    ...(record as ReplayLiability),
    party,
    siteCode,
  }));
}

// Timers that are not liability deadlines: a fired escalation step or dwell timer is not an "overdue".
const ESCALATION_STEPS: ReadonlySet<string> = new Set<RuleId>(['ESC1', 'ESC2']);
const NOT_DEADLINES: ReadonlySet<string> = new Set<RuleId>(['ESC1', 'ESC2', 'DWELL']);

export function summarizeReplay(result: ReplayResult): ReplaySummary {
  const missed = result.deadlines.filter((d) => d.status === 'MISSED');
  return {
    cases: result.cases.length,
    casesByClass: countBy(result.cases, (c) => c.caseClass),
    overdueByRule: countBy(missed.filter((d) => !NOT_DEADLINES.has(d.rule)), (d) => d.rule),
    escalationsByStep: countBy(missed.filter((d) => ESCALATION_STEPS.has(d.rule)), (d) => d.rule),
    liabilitiesByParty: countBy(liabilitiesInForce(result.liabilities), (l) => l.party),
    notificationsByKind: countBy(result.notifications, (n) => n.kind),
    rejected: result.counts.rejected,
  };
}
