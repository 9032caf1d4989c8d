import { canonicalJson } from '../policy/fingerprint.js';
import type { ReplayCase, ReplayDeadline, ReplayLiability, ReplayNotification, ReplayResult } from './result.js';
import { summarizeReplay, type ReplaySummary } from './summary.js';

export interface FieldChange {
  field: string;
  a: unknown;
  b: unknown;
}

/** What differs for one waybill between replay A and replay B ("removed" = only in A, "added" = only in B). */
export interface WaybillDiff {
  waybillNo: string;
  casesOnlyInA: ReplayCase[];
  casesOnlyInB: ReplayCase[];
  casesChanged: { caseId: string; caseClass: string; caseNoA: string | null; caseNoB: string | null; changes: FieldChange[] }[];
  deadlinesOnlyInA: ReplayDeadline[];
  deadlinesOnlyInB: ReplayDeadline[];
  deadlinesChanged: { id: string; caseId: string | null; rule: string; changes: FieldChange[] }[];
  liabilitiesRemoved: ReplayLiability[];
  liabilitiesAdded: ReplayLiability[];
  liabilitiesChanged: { id: string; caseId: string; rule: string; changes: FieldChange[] }[];
  notificationsRemoved: ReplayNotification[];
  notificationsAdded: ReplayNotification[];
  notificationsChanged: { id: string; caseId: string; kind: string; changes: FieldChange[] }[];
}

export interface SummaryRow {
  metric: string;
  a: number;
  b: number;
  delta: number;
}

export interface ReplayDiff {
  a: ReplayResult['policy'];
  b: ReplayResult['policy'];
  /** True when no case, deadline, liability or notification differs. */
  identical: boolean;
  /** Only waybills with a difference, by waybill number. */
  waybills: WaybillDiff[];
  /** Totals of the differences above. */
  changes: Record<Exclude<keyof WaybillDiff, 'waybillNo'>, number>;
  /** Headline numbers side by side (rows where A and B are equal included, for context). */
  summary: SummaryRow[];
}

// Fields compared for items present in both replays. Case numbers are left out on purpose: they are drawn in
// opening order across all waybills, so one extra case early in the day renumbers everything after it.
const CASE_FIELDS = ['reasonCode', 'state', 'outcome', 'flags', 'closedAt'] as const;
const DEADLINE_FIELDS = ['dueAt', 'status', 'party', 'siteCode', 'metAt'] as const;
const LIABILITY_FIELDS = ['kind', 'party', 'siteCode', 'dueAt', 'metAt', 'minutesLate', 'favourableToDb'] as const;
const NOTIFICATION_FIELDS = ['targetSite', 'recipient', 'eventTime', 'notBefore', 'body'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The fields that differ; an object-valued field (case flags) is compared key by key (`flags.noReply`). */
function changedFields<T extends object>(a: T, b: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const valueA: unknown = a[field] ?? null;
    const valueB: unknown = b[field] ?? null;
    if (canonicalJson(valueA) === canonicalJson(valueB)) continue;
    if (isPlainObject(valueA) && isPlainObject(valueB)) {
      for (const key of [...new Set([...Object.keys(valueA), ...Object.keys(valueB)])].sort()) {
        if (canonicalJson(valueA[key] ?? null) !== canonicalJson(valueB[key] ?? null)) {
          changes.push({ field: `${field}.${key}`, a: valueA[key] ?? null, b: valueB[key] ?? null });
        }
      }
    } else {
      changes.push({ field, a: valueA, b: valueB });
    }
  }
  return changes;
}

interface Matched<T> {
  onlyInA: T[];
  onlyInB: T[];
  inBoth: [T, T][];
}

function match<T>(a: readonly T[], b: readonly T[], idOf: (item: T) => string): Matched<T> {
  const byIdB = new Map(b.map((item) => [idOf(item), item]));
  const idsA = new Set(a.map(idOf));
  return {
    onlyInA: a.filter((item) => !byIdB.has(idOf(item))),
    onlyInB: b.filter((item) => !idsA.has(idOf(item))),
    inBoth: a.filter((item) => byIdB.has(idOf(item))).map((item) => [item, byIdB.get(idOf(item))!]),
  };
}

function emptyWaybillDiff(waybillNo: string): WaybillDiff {
  return {
    waybillNo,
    casesOnlyInA: [],
    casesOnlyInB: [],
    casesChanged: [],
    deadlinesOnlyInA: [],
    deadlinesOnlyInB: [],
    deadlinesChanged: [],
    liabilitiesRemoved: [],
    liabilitiesAdded: [],
    liabilitiesChanged: [],
    notificationsRemoved: [],
    notificationsAdded: [],
    notificationsChanged: [],
  };
}

function summaryRows(a: ReplaySummary, b: ReplaySummary): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const row = (metric: string, valueA: number, valueB: number) => rows.push({ metric, a: valueA, b: valueB, delta: valueB - valueA });
  const section = (prefix: string, countsA: Record<string, number>, countsB: Record<string, number>) => {
    for (const key of [...new Set([...Object.keys(countsA), ...Object.keys(countsB)])].sort()) {
      row(`${prefix}.${key}`, countsA[key] ?? 0, countsB[key] ?? 0);
    }
  };
  row('cases', a.cases, b.cases);
  section('cases', a.casesByClass, b.casesByClass);
  section('overdue', a.overdueByRule, b.overdueByRule);
  section('escalations', a.escalationsByStep, b.escalationsByStep);
  section('liabilities', a.liabilitiesByParty, b.liabilitiesByParty);
  section('notifications', a.notificationsByKind, b.notificationsByKind);
  row('rejected', a.rejected, b.rejected);
  return rows;
}

/**
 * The what-if difference between two replays of the same events under two policies. Items are matched by
 * their deterministic ids (case `${waybillNo}-${class}-${n}`, deadline, liability and notification ids), so
 * the same fact under both policies is recognised as such.
 */
export function diffReplays(a: ReplayResult, b: ReplayResult): ReplayDiff {
  const perWaybill = new Map<string, WaybillDiff>();
  const at = (waybillNo: string) => {
    let diff = perWaybill.get(waybillNo);
    if (!diff) perWaybill.set(waybillNo, (diff = emptyWaybillDiff(waybillNo)));
    return diff;
  };

  const cases = match(a.cases, b.cases, (c) => c.caseId);
  for (const c of cases.onlyInA) at(c.waybillNo).casesOnlyInA.push(c);
  for (const c of cases.onlyInB) at(c.waybillNo).casesOnlyInB.push(c);
  for (const [ca, cb] of cases.inBoth) {
    const changes = changedFields(ca, cb, CASE_FIELDS);
    if (changes.length > 0) {
      at(ca.waybillNo).casesChanged.push({ caseId: ca.caseId, caseClass: ca.caseClass, caseNoA: ca.caseNo, caseNoB: cb.caseNo, changes });
    }
  }

  // Deadline ids are unique per waybill only for caseless timers, so the waybill is part of the identity.
  const deadlines = match(a.deadlines, b.deadlines, (d) => `${d.waybillNo}\u0000${d.id}`);
  for (const d of deadlines.onlyInA) at(d.waybillNo).deadlinesOnlyInA.push(d);
  for (const d of deadlines.onlyInB) at(d.waybillNo).deadlinesOnlyInB.push(d);
  for (const [da, db] of deadlines.inBoth) {
    const changes = changedFields(da, db, DEADLINE_FIELDS);
    if (changes.length > 0) at(da.waybillNo).deadlinesChanged.push({ id: da.id, caseId: da.caseId, rule: da.rule, changes });
  }

  const liabilities = match(a.liabilities, b.liabilities, (l) => l.id);
  for (const l of liabilities.onlyInA) at(l.waybillNo).liabilitiesRemoved.push(l);
  for (const l of liabilities.onlyInB) at(l.waybillNo).liabilitiesAdded.push(l);
  for (const [la, lb] of liabilities.inBoth) {
    const changes = changedFields(la, lb, LIABILITY_FIELDS);
    if (changes.length > 0) at(la.waybillNo).liabilitiesChanged.push({ id: la.id, caseId: la.caseId, rule: la.rule, changes });
  }

  const notifications = match(a.notifications, b.notifications, (n) => n.id);
  for (const n of notifications.onlyInA) at(n.waybillNo).notificationsRemoved.push(n);
  for (const n of notifications.onlyInB) at(n.waybillNo).notificationsAdded.push(n);
  for (const [na, nb] of notifications.inBoth) {
    const changes = changedFields(na, nb, NOTIFICATION_FIELDS);
    if (changes.length > 0) at(na.waybillNo).notificationsChanged.push({ id: na.id, caseId: na.caseId, kind: na.kind, changes });
  }

  const waybills = [...perWaybill.values()].sort((x, y) => (x.waybillNo < y.waybillNo ? -1 : x.waybillNo > y.waybillNo ? 1 : 0));
  const changes = Object.fromEntries(
    (Object.keys(emptyWaybillDiff('')) as (keyof WaybillDiff)[])
      .filter((key) => key !== 'waybillNo')
      .map((key) => [key, waybills.reduce((sum, w) => sum + (w[key] as unknown[]).length, 0)]),
  ) as ReplayDiff['changes'];

  return {
    a: a.policy,
    b: b.policy,
    identical: waybills.length === 0,
    waybills,
    changes,
    summary: summaryRows(summarizeReplay(a), summarizeReplay(b)),
  };
}
