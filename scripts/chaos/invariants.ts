// What must hold once the system has settled, checked against the simulator's ground truth (the cases and
// deadline outcomes it injected) and against what the fake gateway received — not only against the database's
// own view of itself.
import type { Redis } from 'ioredis';
import type { GroundTruth } from '../../apps/simulator/src/truth.js';
import type { GatewayRecord } from '../dev/fake-gateway.js';

/** The figures every run reports; every one but the first three must be 0. */
export interface InvariantFigures {
  expectedCases: number;
  cases: number;
  deadlinesChecked: number;
  /** Injected problems without a case of that waybill, class and reason. */
  lostCases: number;
  /** Cases beyond the first for one waybill, class and reason. */
  duplicateCases: number;
  /** Cases of a waybill, class and reason the simulator never injected. */
  unexpectedCases: number;
  /** Liability records beyond the first RECORD (or RETRACTION) of one deadline. */
  duplicateLiabilities: number;
  /** Alerts (site webhooks, staff relay, notification log) told twice: same case, kind, target, content and event time. */
  duplicateAlerts: number;
  /** SMS that reached a phone twice: same number, case, kind, text and event delivered under two keys. */
  duplicateSms: number;
  /** Notifications logged as SENT that the gateway never delivered, or delivered but not logged as SENT, or stuck. */
  lostNotifications: number;
  /** PENDING deadlines (due after the end of the run) without a live timer in Redis at or before their due time. */
  unarmedDeadlines: number;
  /** PENDING deadlines already due at the end of the run (never judged). */
  unjudgedDeadlines: number;
  /**
   * Deadlines judged against the truth wrongly: expected missed but not MISSED, expected met but MISSED, a MISSED one
   * without exactly one liability RECORD when one is due, a RECORD on a deadline that was not missed, or an overdue
   * retracted by a late event that the truth did not foresee (a false alarm: someone was told they were late).
   */
  wrongOverdue: number;
  /** Deadlines the truth expects that do not exist at all. */
  lostDeadlines: number;
}

export interface InvariantReport {
  figures: InvariantFigures;
  /** Up to 20 examples per non-zero figure, for the log and the report. */
  examples: Record<string, string[]>;
  /** Counts that explain the run but are not failures (deadlines still pending, SMS held for quiet hours, …). */
  context: Record<string, number>;
}

export interface CheckInput {
  truth: GroundTruth;
  query: <T>(sql: string, params?: unknown[]) => Promise<T[]>;
  redis: Redis;
  gateway: GatewayRecord[];
  /** Wall-clock time of the check: deadlines due after it are legitimately still pending. */
  now: Date;
  /** BullMQ key prefix of the deadline queue, `bull:deadlines:`. */
  queuePrefix?: string;
}

interface CaseRow {
  case_id: string;
  waybill_no: string;
  case_class: string;
  reason_code: string;
}
interface DeadlineRow {
  deadline_id: string;
  case_id: string | null;
  rule: string;
  due_at: Date;
  status: string;
  /** The engine's judgement detail, from the case snapshot: `favourableToDb` marks a D10 exemption (no RECORD). */
  exempt: boolean;
}
interface LiabilityRow {
  record_id: string;
  kind: string;
  deadline_id: string | null;
  refers_to: string | null;
  rule: string;
}
interface NotificationRow {
  notification_id: string;
  case_id: string;
  kind: string;
  channel: string;
  target_role: string;
  target_site: string | null;
  recipient: string | null;
  content_sha256: string;
  event_time: Date;
  status: string;
}

const caseKey = (waybill: string, caseClass: string, reason: string) => `${waybill}|${caseClass}|${reason}`;

class Tally {
  readonly figures: Record<string, number> = {};
  readonly examples: Record<string, string[]> = {};

  add(figure: keyof InvariantFigures, example: string, count = 1): void {
    this.figures[figure] = (this.figures[figure] ?? 0) + count;
    const list = (this.examples[figure] ??= []);
    if (list.length < 20) list.push(example);
  }
}

function groupCount<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Ids of the deadline queue's jobs that will run: a job hash, not finished, in one of the queue's live states. */
async function liveTimers(redis: Redis, prefix: string): Promise<Map<string, number | null>> {
  const live = new Map<string, number | null>();
  const delayed = await redis.zrange(`${prefix}delayed`, 0, -1, 'WITHSCORES');
  for (let i = 0; i < delayed.length; i += 2) live.set(delayed[i]!, Math.floor(Number(delayed[i + 1]) / 0x1000));
  for (const list of ['wait', 'active', 'paused']) {
    for (const id of await redis.lrange(`${prefix}${list}`, 0, -1)) live.set(id, null);
  }
  for (const id of await redis.zrange(`${prefix}prioritized`, 0, -1)) live.set(id, null);
  // A queue entry whose job hash is gone or finished does not run.
  const ids = [...live.keys()];
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const pipeline = redis.pipeline();
    for (const id of chunk) pipeline.hmget(`${prefix}${id}`, 'timestamp', 'finishedOn');
    const results = (await pipeline.exec()) ?? [];
    chunk.forEach((id, j) => {
      const [error, fields] = results[j] as [Error | null, (string | null)[]];
      if (error || !fields || fields[0] === null || fields[1] !== null) live.delete(id);
    });
  }
  return live;
}

export async function checkInvariants(input: CheckInput): Promise<InvariantReport> {
  const { truth, query, now } = input;
  const tally = new Tally();
  const context: Record<string, number> = {};
  const nowMs = now.getTime();

  const cases = await query<CaseRow>(`SELECT case_id, waybill_no, case_class, reason_code FROM problem_case`);
  const deadlines = await query<DeadlineRow>(
    `SELECT d.deadline_id, d.case_id, d.rule, d.due_at, d.status,
            coalesce((SELECT (x->'detail'->>'favourableToDb')::boolean FROM jsonb_array_elements(c.snapshot->'deadlines') x
                      WHERE x->>'id' = d.deadline_id), false) AS exempt
     FROM deadline d LEFT JOIN problem_case c ON c.case_id = d.case_id`,
  );
  const liabilities = await query<LiabilityRow>(`SELECT record_id, kind, deadline_id, refers_to, rule FROM liability_record`);
  const notifications = await query<NotificationRow>(
    `SELECT notification_id, case_id, kind, channel, target_role, target_site, recipient, content_sha256, event_time, status FROM notification`,
  );

  // ---- cases: every injected problem exactly once, nothing else.
  const expected = new Map(truth.problems.map((p) => [caseKey(p.waybillNo, p.caseClass, p.reasonCode), p]));
  const byKey = groupCount(cases, (c) => caseKey(c.waybill_no, c.case_class, c.reason_code));
  for (const [key, problem] of expected) {
    if (!byKey.has(key)) tally.add('lostCases', `${key} (${problem.scenario})`);
  }
  for (const [key, group] of byKey) {
    if (group.length > 1) tally.add('duplicateCases', `${key} ×${group.length}`, group.length - 1);
    if (!expected.has(key)) tally.add('unexpectedCases', `${key} (${group.map((c) => c.case_id).join(', ')})`, group.length);
  }

  // ---- liability records: one RECORD per missed deadline, one RETRACTION per retracted record.
  const records = liabilities.filter((l) => l.kind === 'RECORD');
  for (const [deadlineId, group] of groupCount(records, (l) => l.deadline_id ?? l.record_id)) {
    if (group.length > 1) tally.add('duplicateLiabilities', `RECORD ×${group.length} for ${deadlineId}`, group.length - 1);
  }
  for (const [refersTo, group] of groupCount(liabilities.filter((l) => l.kind === 'RETRACTION'), (l) => l.refers_to ?? l.record_id)) {
    if (group.length > 1) tally.add('duplicateLiabilities', `RETRACTION ×${group.length} of ${refersTo}`, group.length - 1);
  }
  const recordsByDeadline = groupCount(records, (l) => l.deadline_id ?? '');
  const retracted = new Set(liabilities.filter((l) => l.kind === 'RETRACTION').map((l) => l.refers_to));

  // ---- deadlines: the database's own consistency first.
  const deadlineById = new Map(deadlines.map((d) => [d.deadline_id, d]));
  for (const d of deadlines) {
    const due = new Date(d.due_at).getTime();
    const recordCount = recordsByDeadline.get(d.deadline_id)?.length ?? 0;
    if (d.status === 'PENDING' && due <= nowMs) tally.add('unjudgedDeadlines', `${d.deadline_id} ${d.rule} due ${new Date(due).toISOString()}`);
    if (d.status === 'MISSED' && recordCount > 1) tally.add('wrongOverdue', `${d.deadline_id} MISSED with ${recordCount} RECORDs`);
    if (d.status === 'MISSED' && d.exempt && recordCount > 0) tally.add('wrongOverdue', `${d.deadline_id} MISSED, exempt (D10), but has a RECORD`);
    if (!['MISSED', 'RETRACTED'].includes(d.status) && recordCount > 0) tally.add('wrongOverdue', `${d.deadline_id} ${d.status} but has a liability RECORD`);
    if (d.status === 'RETRACTED' && recordCount > 0 && !retracted.has(recordsByDeadline.get(d.deadline_id)![0]!.record_id)) {
      tally.add('wrongOverdue', `${d.deadline_id} RETRACTED but its RECORD was never retracted`);
    }
  }
  for (const r of records) {
    if (r.deadline_id && !deadlineById.has(r.deadline_id)) tally.add('wrongOverdue', `RECORD ${r.record_id} for a deadline that does not exist`);
  }

  // ---- deadlines against the truth: each expected outcome, by case, rule and due time.
  const caseIdsByKey = new Map([...byKey].map(([key, group]) => [key, group.map((c) => c.case_id)]));
  const deadlinesByCaseRule = groupCount(deadlines, (d) => `${d.case_id}|${d.rule}`);
  const foreseenRetractions = new Set(
    truth.stream.late.items.filter((i) => i.expectRetraction).map((i) => `${i.waybillNo}|${i.expectRetraction!.rule}`),
  );
  const judgedAgainstTruth = new Set<string>();
  let checked = 0;
  let pending = 0;
  for (const problem of truth.problems) {
    const key = caseKey(problem.waybillNo, problem.caseClass, problem.reasonCode);
    const caseIds = caseIdsByKey.get(key);
    if (!caseIds) continue; // counted as a lost case
    for (const e of problem.expected) {
      const rule = e.rule === 'D9' ? 'D4' : e.rule; // D9 is the liability rule of a missed D4
      const candidates = caseIds.flatMap((id) => deadlinesByCaseRule.get(`${id}|${rule}`) ?? []);
      const dueMs = e.dueAt ? Date.parse(e.dueAt) : null;
      const same = dueMs === null ? candidates : candidates.filter((d) => new Date(d.due_at).getTime() === dueMs);
      const label = `${problem.scenario} ${problem.waybillNo} ${e.rule}${e.note ? ` (${e.note})` : ''} due ${e.dueAt ?? '?'} expected ${e.outcome}`;
      if (same.length === 0) {
        tally.add('lostDeadlines', `${label}: no such deadline (has: ${candidates.map((d) => `${d.status}@${new Date(d.due_at).toISOString()}`).join(', ') || 'none'})`);
        continue;
      }
      checked += 1;
      same.forEach((d) => judgedAgainstTruth.add(d.deadline_id));
      const statuses = same.map((d) => d.status);
      if (statuses.every((s) => s === 'PENDING')) {
        // Due after the end of the run: legitimately not judged yet (its timer is checked below).
        pending += 1;
        continue;
      }
      if (e.outcome === 'MISSED') {
        const missed = same.find((d) => d.status === 'MISSED');
        if (!missed) {
          tally.add('wrongOverdue', `${label}: ${statuses.join('/')}`);
          continue;
        }
        const recordCount = recordsByDeadline.get(missed.deadline_id)?.length ?? 0;
        if (e.party !== null && !missed.exempt && recordCount !== 1) {
          tally.add('wrongOverdue', `${label}: MISSED with ${recordCount} RECORDs`);
        }
      } else {
        if (statuses.includes('MISSED')) tally.add('wrongOverdue', `${label}: MISSED`);
        else if (statuses.includes('RETRACTED') && !foreseenRetractions.has(`${problem.waybillNo}|${e.rule}`)) {
          tally.add('wrongOverdue', `${label}: raised overdue, then retracted (false alarm)`);
        }
      }
    }
  }
  // Deadlines the truth does not name (escalation steps, dwell timers…): a retraction is a false alarm there too,
  // unless a late registration of the waybill was foreseen to cause it.
  const lateWaybills = new Set(truth.stream.late.items.map((i) => i.waybillNo));
  const caseWaybill = new Map(cases.map((c) => [c.case_id, c.waybill_no]));
  for (const d of deadlines) {
    if (judgedAgainstTruth.has(d.deadline_id) || d.status !== 'RETRACTED') continue;
    const waybill = d.case_id ? caseWaybill.get(d.case_id) : undefined;
    if (waybill && lateWaybills.has(waybill)) continue;
    tally.add('wrongOverdue', `${d.deadline_id} ${d.rule}: raised overdue, then retracted (false alarm)`);
  }

  // ---- timers: every pending deadline has a live timer that fires no later than its due time.
  const live = await liveTimers(input.redis, input.queuePrefix ?? 'bull:deadlines:');
  for (const d of deadlines) {
    if (d.status !== 'PENDING' || new Date(d.due_at).getTime() <= nowMs) continue;
    if (!live.has(d.deadline_id)) {
      tally.add('unarmedDeadlines', `${d.deadline_id} ${d.rule} due ${new Date(d.due_at).toISOString()}: no timer`);
      continue;
    }
    const fireAt = live.get(d.deadline_id);
    // A timer that wakes before the due time re-times itself from PostgreSQL; one that wakes after it is late.
    if (fireAt !== null && fireAt !== undefined && fireAt > new Date(d.due_at).getTime() + 1000) {
      tally.add('unarmedDeadlines', `${d.deadline_id} ${d.rule} due ${new Date(d.due_at).toISOString()}: timer at ${new Date(fireAt).toISOString()}`);
    }
  }

  // ---- notifications: the log against what the gateway delivered.
  const delivered = input.gateway.filter((r) => r.outcome === 'delivered');
  const deliveredById = groupCount(delivered, (r) => r.idempotencyKey ?? `no-key:${r.receivedAt}`);
  for (const [key, group] of deliveredById) {
    if (group.length > 1) tally.add(group[0]!.path.startsWith('/sms') ? 'duplicateSms' : 'duplicateAlerts', `${key} delivered ×${group.length}`, group.length - 1);
  }
  const sameContent = (r: GatewayRecord) => {
    const b = r.body as Record<string, unknown>;
    return JSON.stringify([r.path, b.caseId, b.kind, b.role, b.site, b.to, b.text, b.eventTime]);
  };
  // The same message under different keys (a repeat under one key is counted above).
  for (const group of groupCount(delivered, sameContent).values()) {
    const keys = new Set(group.map((r) => r.idempotencyKey));
    if (keys.size > 1) {
      const b = group[0]!.body as Record<string, unknown>;
      const figure = group[0]!.path.startsWith('/sms') ? 'duplicateSms' : 'duplicateAlerts';
      tally.add(figure, `${String(b.kind)} for ${String(b.caseId)} delivered under ${keys.size} keys (${[...keys].join(', ')})`, keys.size - 1);
    }
  }
  for (const group of groupCount(notifications, (n) =>
    JSON.stringify([n.case_id, n.kind, n.channel, n.target_role, n.target_site, n.recipient, n.content_sha256, new Date(n.event_time).toISOString()]),
  ).values()) {
    if (group.length > 1) tally.add('duplicateAlerts', `${group[0]!.kind} for ${group[0]!.case_id} logged ×${group.length}`, group.length - 1);
  }
  const gatewayChannels = new Set(['SMS', 'WEBHOOK', 'EMAIL']);
  const notificationById = new Map(notifications.map((n) => [n.notification_id, n]));
  for (const n of notifications) {
    context[`notifications ${n.channel} ${n.status}`] = (context[`notifications ${n.channel} ${n.status}`] ?? 0) + 1;
    if (['PENDING', 'SENDING', 'FAILED', 'UNROUTED'].includes(n.status)) {
      tally.add('lostNotifications', `${n.notification_id} (${n.kind} ${n.channel}) ended ${n.status}`);
    } else if (n.status === 'SENT' && gatewayChannels.has(n.channel) && !deliveredById.has(n.notification_id)) {
      tally.add('lostNotifications', `${n.notification_id} (${n.kind} ${n.channel}) logged SENT, never delivered`);
    }
  }
  for (const [key, group] of deliveredById) {
    const row = notificationById.get(key);
    if (!row || row.status !== 'SENT') tally.add('lostNotifications', `${key} delivered (${group[0]!.path}) but logged ${row?.status ?? 'nowhere'}`);
  }

  context['deadlines pending (due after the run)'] = deadlines.filter((d) => d.status === 'PENDING').length;
  for (const status of ['MET', 'MISSED', 'RETRACTED', 'CANCELLED']) context[`deadlines ${status}`] = deadlines.filter((d) => d.status === status).length;
  context['truth deadlines still pending'] = pending;
  context['liability RECORDs'] = records.length;
  context['liability RETRACTIONs'] = retracted.size;
  context['gateway requests'] = input.gateway.length;
  context['gateway repeats answered as duplicates'] = input.gateway.filter((r) => r.outcome === 'duplicate').length;
  context['timers live in Redis'] = live.size;

  const zero: InvariantFigures = {
    expectedCases: expected.size,
    cases: cases.length,
    deadlinesChecked: checked,
    lostCases: 0,
    duplicateCases: 0,
    unexpectedCases: 0,
    duplicateLiabilities: 0,
    duplicateAlerts: 0,
    duplicateSms: 0,
    lostNotifications: 0,
    unarmedDeadlines: 0,
    unjudgedDeadlines: 0,
    wrongOverdue: 0,
    lostDeadlines: 0,
  };
  return { figures: { ...zero, ...tally.figures }, examples: tally.examples, context };
}

/** The figures that must all be zero for the run to pass. */
export const ZERO_FIGURES: (keyof InvariantFigures)[] = [
  'lostCases',
  'duplicateCases',
  'unexpectedCases',
  'duplicateLiabilities',
  'duplicateAlerts',
  'duplicateSms',
  'lostNotifications',
  'unarmedDeadlines',
  'unjudgedDeadlines',
  'wrongOverdue',
  'lostDeadlines',
];
