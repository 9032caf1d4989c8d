import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Deadline, Effect, LiabilityRecord, NotificationIntent, Policy, ProblemCase, WaybillState } from '#domain';
import type { OutboxEntry } from './outbox.repository.js';
import { caseEvents, dirtyCaseIds, deadlineIntent, nextDueAt, notificationIntent } from './decision-outbox.js';
import { foldJournal, type JournaledWaybill, type JournalEntry } from './waybill-journal.js';
import type { WaybillStateCache } from './waybill-state-cache.js';

export interface DecisionsToPersist {
  /** Final state of every waybill the batch touched whose snapshot is written (see `journal` for the others). */
  states: WaybillState[];
  /** Waybills whose inputs are appended to their journal instead (see waybill-journal.ts); none of their cases changed. */
  journal?: JournaledWaybill[];
  /** All effects of the batch, in the order the engine produced them. */
  effects: Effect[];
  /** Extra outbox rows (DLQ records, …) written in the same transaction. */
  outbox?: OutboxEntry[];
  /**
   * The version each state (snapshot or journal) was derived from (0: from no state), when the caller did not lock the rows
   * (see readStates): a row that has moved on since makes persist throw StaleStateError, and nothing is written
   * once the caller's transaction rolls back. Without it the caller must hold the row locks (lockStates).
   */
  baseVersions?: ReadonlyMap<string, number>;
}

/** A waybill's row changed between the read and the write: the transaction must be rolled back and redone. */
export class StaleStateError extends Error {
  constructor(expected: number, written: number) {
    super(`${expected - written} of ${expected} waybill states changed since they were read`);
    this.name = 'StaleStateError';
  }
}

export interface PersistSummary {
  casesOpened: number;
  casesWritten: number;
  deadlinesWritten: number;
  liabilitiesWritten: number;
  notificationsWritten: number;
}

/** `PI-YYYYMM-NNNNNNN` (rules §7): a serial per month of the opening event's local time. */
export function formatCaseNo(month: string, serial: number): string {
  return `PI-${month}-${String(serial).padStart(7, '0')}`;
}

/** Masks a phone number or e-mail for storage beside the raw contact (the raw one is never logged). */
export function maskContact(contact: string | null): string | null {
  if (!contact) return contact;
  if (contact.includes('@')) return contact.replace(/^(.).*(@.*)$/, '$1***$2');
  return contact.length >= 7 ? `${contact.slice(0, 3)}****${contact.slice(-4)}` : '****';
}

/**
 * Writes the outcome of engine decisions: waybill snapshots, cases, timelines, deadlines,
 * liability records, notifications and the outbox, in one bulk statement (a CTE per table). Runs
 * inside the caller's transaction; every write is idempotent by deterministic ids, so replaying a
 * batch after a crash changes nothing.
 */
export class DecisionRepository {
  /**
   * Locks the waybills' rows (creating empty ones first), in sorted order so that concurrent
   * batches touching the same waybills queue instead of deadlocking, and returns their states.
   *
   * With a `cache`, a row whose version equals the cached snapshot's is not sent back: the cached
   * snapshot is returned instead (see WaybillStateCache). Rows the cache knows exist are not inserted.
   * A row with journal entries is folded (`policy`: the engine's); `journaled` receives each row's entry count.
   */
  static async lockStates(
    manager: EntityManager,
    waybillNos: string[],
    policy: Policy,
    cache?: WaybillStateCache,
    journaled?: Map<string, number>,
  ): Promise<Map<string, WaybillState | null>> {
    const sorted = [...new Set(waybillNos)].sort();
    const states = new Map<string, WaybillState | null>();
    if (sorted.length === 0) return states;
    const cached = sorted.map((no) => cache?.get(no));
    const unknown = sorted.filter((_, i) => !cached[i]);
    if (unknown.length > 0) {
      await manager.query(
        `INSERT INTO waybill_state (waybill_no) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING`,
        [unknown],
      );
    }
    const rows: StateRow[] = await manager.query(
      `SELECT w.waybill_no, w.version, w.journaled, CASE WHEN w.version = c.cached THEN NULL ELSE w.state END AS state
       FROM waybill_state w JOIN unnest($1::text[], $2::int[]) AS c(waybill_no, cached) ON c.waybill_no = w.waybill_no
       ORDER BY w.waybill_no FOR UPDATE OF w`,
      [sorted, cached.map((state) => state?.version ?? null)],
    );
    const cachedByNo = new Map(sorted.map((no, i) => [no, cached[i]]));
    const hits = (row: StateRow) => cachedByNo.get(row.waybill_no)?.version === row.version;
    // The journals in a statement of their own: a row this one had to wait for is read as its writer committed it,
    // but a subquery of the locking statement would still see that writer's journal entries as before.
    const toFold = rows.filter((row) => row.journaled > 0 && !hits(row));
    if (toFold.length > 0) {
      const journals: { waybill_no: string; journal: JournalEntry[] }[] = await manager.query(
        `SELECT w.waybill_no, (${JOURNAL_OF_ROW}) AS journal FROM waybill_state w WHERE w.waybill_no = ANY($1::text[])`,
        [toFold.map((row) => row.waybill_no)],
      );
      const byNo = new Map(journals.map((j) => [j.waybill_no, j.journal]));
      for (const row of toFold) row.journal = byNo.get(row.waybill_no) ?? null;
    }
    for (const row of rows) {
      journaled?.set(row.waybill_no, row.journaled);
      states.set(row.waybill_no, hits(row) ? cachedByNo.get(row.waybill_no)! : stateOfRow(row, policy));
    }
    return states;
  }

  /**
   * Writes everything in ONE statement (data-modifying CTEs, one json document as its only parameter), so that
   * the month's case-number counter — the one row every batch that opens a case must lock until it commits —
   * is held only for this statement and the COMMIT that follows, not across a dozen round trips.
   */
  /**
   * The waybills' snapshots without locking their rows: the cache's where it has one, PostgreSQL's for the rest.
   * Pass what each was read at as `baseVersions` to persist, which then writes only if no row has moved on
   * (optimistic: no lock round trip and no row lock written for each waybill of every batch).
   */
  static async readStates(
    manager: Pick<EntityManager, 'query'>,
    waybillNos: string[],
    policy: Policy,
    cache?: WaybillStateCache,
    journaled?: Map<string, number>,
  ): Promise<Map<string, WaybillState | null>> {
    const states = new Map<string, WaybillState | null>();
    const missing: string[] = [];
    for (const no of new Set(waybillNos)) {
      const hit = cache?.get(no);
      if (hit) {
        states.set(no, hit);
        journaled?.set(no, cache!.journaled(no)!);
      } else missing.push(no);
    }
    if (missing.length === 0) return states;
    const rows: StateRow[] = await manager.query(
      `SELECT w.waybill_no, w.version, w.journaled, w.state, CASE WHEN w.journaled > 0 THEN (${JOURNAL_OF_ROW}) END AS journal
       FROM waybill_state w WHERE w.waybill_no = ANY($1::text[])`,
      [missing],
    );
    for (const no of missing) states.set(no, null);
    for (const row of rows) {
      journaled?.set(row.waybill_no, row.journaled);
      states.set(row.waybill_no, stateOfRow(row, policy));
    }
    return states;
  }

  static async persist(manager: EntityManager, input: DecisionsToPersist): Promise<PersistSummary> {
    const { states, effects } = input;
    const journal = input.journal ?? [];
    const caseById = new Map<string, ProblemCase>();
    for (const state of states) for (const c of state.cases) caseById.set(c.id, c);

    // Cases the engine left without a number get the next serials of their month, in the order of the states.
    const newCases: { case_id: string; month: string; nth: number }[] = [];
    const addedPerMonth = new Map<string, number>();
    const statesWithNewCases = new Set<string>();
    for (const state of states) {
      for (const c of state.cases) {
        if (c.caseNo) continue;
        const nth = (addedPerMonth.get(c.caseNoMonth) ?? 0) + 1;
        addedPerMonth.set(c.caseNoMonth, nth);
        newCases.push({ case_id: c.id, month: c.caseNoMonth, nth });
        statesWithNewCases.add(state.waybillNo);
      }
    }
    const dirtyCases = dirtyCaseIds(effects);
    const cases = [...dirtyCases].map((id) => caseById.get(id)).filter((c): c is ProblemCase => Boolean(c));

    const deadlines = new Map<string, { deadline: Deadline; waybillNo: string }>();
    const liabilities: LiabilityRecord[] = [];
    const notifications: NotificationIntent[] = [];
    const moved = new Set<string>();
    const waybillOfCase = (caseId: string | null, fallback: string) => (caseId && caseById.get(caseId)?.waybillNo) || fallback;
    for (const effect of effects) {
      switch (effect.type) {
        case 'DeadlineArmed':
        case 'DeadlineMoved':
        case 'DeadlineMet':
        case 'DeadlineMissed':
        case 'DeadlineCancelled':
        case 'DeadlineRetracted':
          if (effect.type === 'DeadlineMoved') moved.add(effect.deadline.id);
          deadlines.set(effect.deadline.id, {
            deadline: effect.deadline,
            waybillNo: waybillOfCase(effect.deadline.caseId, waybillFromDeadlineId(effect.deadline.id)),
          });
          break;
        case 'LiabilityRecorded':
          liabilities.push(effect.record);
          break;
        case 'NotificationIntended':
          notifications.push(effect.notification);
          break;
        default:
          break;
      }
    }

    const outbox = [
      ...caseEvents(cases, effects).map((entry, i) => ({ ...outboxRow(entry), case_id: cases[i]!.caseNo ? null : cases[i]!.id })),
      ...[...deadlines.values()].map(({ deadline, waybillNo }) => outboxRow(deadlineIntent(deadline, waybillNo, moved.has(deadline.id)))),
      ...notifications.filter((n) => !n.alreadySent).map((n) => outboxRow(notificationIntent(n))),
      ...(input.outbox ?? []).map(outboxRow),
    ];
    const base = (waybillNo: string) => (input.baseVersions ? (input.baseVersions.get(waybillNo) ?? 0) : null);
    const document = {
      months: [...addedPerMonth].sort(([a], [b]) => a.localeCompare(b)).map(([month, added]) => ({ month, added })),
      newCases,
      // In waybill order: concurrent batches then take their row locks in the same order (no deadlock between them).
      states: [
        ...states.map((s) => ({
          waybill_no: s.waybillNo,
          version: s.version,
          base: base(s.waybillNo),
          numbering: statesWithNewCases.has(s.waybillNo),
          state: s as WaybillState | null,
          added: null as number | null,
        })),
        ...journal.map((j) => ({ waybill_no: j.waybillNo, version: j.version, base: base(j.waybillNo), numbering: false, state: null, added: j.entries.length })),
      ].sort((a, b) => (a.waybill_no < b.waybill_no ? -1 : a.waybill_no > b.waybill_no ? 1 : 0)),
      journal: journal.flatMap((j) => j.entries.map((e) => ({ waybill_no: j.waybillNo, version: e.version, input: e.input }))),
      cases: cases.map(caseRow),
      timeline: cases.flatMap(timelineRows),
      deadlines: [...deadlines.values()].map(deadlineRow),
      // Sorted so that a record comes after the one it refers to.
      liabilities: [...liabilities].sort((a, b) => Number(Boolean(a.refersTo)) - Number(Boolean(b.refersTo))).map(liabilityRow),
      notifications: notifications.map(notificationRow),
      outbox,
    };
    const [{ states_written: written, numbered }]: { states_written: string; numbered: { case_id: string; case_no: string }[] }[] =
      await manager.query(PERSIST_SQL, PERSIST_PARAMETERS.map((name) => JSON.stringify(document[name])));
    const expected = states.length + journal.length;
    if (Number(written) !== expected) throw new StaleStateError(expected, Number(written));
    // The numbers PostgreSQL drew go back into the snapshots (the caller may keep them, e.g. in a WaybillStateCache).
    for (const { case_id, case_no } of numbered) {
      const c = caseById.get(case_id);
      if (c) c.caseNo = case_no;
    }
    return {
      casesOpened: numbered.length,
      casesWritten: cases.length,
      deadlinesWritten: deadlines.size,
      liabilitiesWritten: liabilities.length,
      notificationsWritten: notifications.length,
    };
  }
}

interface StateRow {
  waybill_no: string;
  version: number;
  journaled: number;
  state: WaybillState | null;
  journal?: JournalEntry[] | null;
}

/** The journal entries after a waybill_state row's snapshot (alias `w`), as one json array in version order. */
const JOURNAL_OF_ROW = `SELECT json_agg(json_build_object('version', j.version, 'input', j.input) ORDER BY j.version)
  FROM waybill_journal j WHERE j.waybill_no = w.waybill_no AND j.version > w.version - w.journaled`;

function stateOfRow(row: StateRow, policy: Policy): WaybillState | null {
  return row.journaled > 0 ? foldJournal(row.waybill_no, row.state, row.journal ?? null, row.version, policy) : row.state;
}

/** The snapshot column holds the case without its (separately stored) timeline, liabilities and PII. */
function caseSnapshot(c: ProblemCase): Omit<ProblemCase, 'timeline' | 'liabilities'> {
  const { timeline: _timeline, liabilities: _liabilities, ...rest } = c;
  return rest;
}

/** Deadline ids start with the waybill number (`${waybillNo}-…`): used for caseless timers. */
function waybillFromDeadlineId(id: string): string {
  return id.split('-')[0]!;
}

// ------------------------------------------------------------------------------------------------------------------
// The decision statement. Each row set arrives as one json array parameter (jsonb_to_recordset): text that
// PostgreSQL parses natively, instead of one array parameter per column that the driver has to escape element by
// element. Every table is written by exactly one CTE; all of them run to completion whether or
// not the final SELECT reads them. Writes are idempotent by deterministic ids (a replayed batch changes nothing).

function outboxRow(entry: OutboxEntry) {
  return { topic_role: entry.topicRole, message_key: entry.key, payload: entry.payload, case_id: null as string | null };
}

function caseRow(c: ProblemCase) {
  return {
    case_id: c.id,
    case_no: c.caseNo,
    waybill_no: c.waybillNo,
    case_class: c.caseClass,
    reason_code: c.reasonCode,
    state: c.state,
    opened_at: c.openedAt,
    closed_at: c.closedAt,
    outcome: c.outcome,
    origin_branch: c.originBranch,
    delivering_branch: c.deliveringBranch,
    reported_by_site: c.reportedBySite,
    detected_by: c.detectedBy,
    overdue: c.flags.overdue.length > 0,
    overdue_rules: c.flags.overdue.map((o) => o.rule),
    escalation_level: c.flags.escalationLevel,
    no_reply: c.flags.noReply,
    under_hq_review: c.flags.underHqReview,
    favourable_to_db: c.flags.favourableToDb,
    wrong_target: c.flags.wrongTarget,
    next_due_at: nextDueAt(c),
    snapshot: caseSnapshot(c),
  };
}

function timelineRows(c: ProblemCase) {
  return c.timeline.map((entry, seq) => ({
    case_id: c.id,
    seq,
    at: entry.at,
    from_state: entry.from,
    to_state: entry.to,
    actor: entry.actor,
    source_event_id: entry.sourceEventId,
    note: entry.note ?? null,
  }));
}

function deadlineRow({ deadline: d, waybillNo }: { deadline: Deadline; waybillNo: string }) {
  return {
    deadline_id: d.id,
    case_id: d.caseId,
    waybill_no: waybillNo,
    rule: d.rule,
    due_at: d.dueAt,
    party: d.party,
    site_code: d.siteCode,
    status: d.status,
    armed_at: d.armedAt,
    met_at: d.metAt ?? null,
    missed_at: d.missedAt ?? null,
  };
}

function liabilityRow(r: LiabilityRecord) {
  return {
    record_id: r.id,
    kind: r.kind,
    case_id: r.caseId,
    deadline_id: r.deadlineId,
    rule: r.rule,
    party: r.party,
    site_code: r.siteCode,
    due_at: r.dueAt,
    met_at: r.metAt,
    minutes_late: r.minutesLate,
    evidence: r.evidence ?? {},
    favourable_to_db: r.favourableToDb,
    refers_to: r.refersTo,
    reviewer: r.reviewer ?? null,
    review_outcome: r.reviewOutcome ?? null,
    reason: r.reason ?? null,
    recorded_at: r.recordedAt,
  };
}

function notificationRow(n: NotificationIntent) {
  return {
    notification_id: n.id,
    case_id: n.caseId,
    kind: n.kind,
    channel: n.channel,
    target_role: n.targetRole,
    target_site: n.targetSite,
    recipient: n.recipient,
    recipient_masked: maskContact(n.recipient),
    template_key: n.templateKey,
    body: n.body,
    content_sha256: createHash('sha256').update(n.body).digest('hex'),
    vars: n.vars ?? {},
    event_time: n.eventTime,
    not_before: n.notBefore,
    already_sent: n.alreadySent,
    // An SMS the handheld already sent is recorded as evidence, never sent again (rules §6).
    status: n.alreadySent ? 'RECORDED' : 'PENDING',
  };
}

/** Sets `caseNo` in a jsonb object (a case snapshot, a case event) when `caseNo` is the newly drawn number. */
const withCaseNo = (json: string, caseNo: string) => `CASE WHEN ${caseNo} IS NULL THEN ${json} ELSE jsonb_set(${json}, '{caseNo}', to_jsonb(${caseNo})) END`;

/** The statement's parameters: one json array per row set ($1 = months, $2 = newCases, …). */
const PERSIST_PARAMETERS = [
  'months', 'newCases', 'states', 'cases', 'timeline', 'deadlines', 'liabilities', 'notifications', 'outbox', 'journal',
] as const;

const PERSIST_SQL = `
WITH
-- rules §7: the next serials of each month, gapless — this row lock is held until COMMIT.
counters AS (
  INSERT INTO case_number_counter AS k (month, last_serial)
  SELECT month, added FROM jsonb_to_recordset($1::jsonb) AS m(month text, added int)
  ON CONFLICT (month) DO UPDATE SET last_serial = k.last_serial + EXCLUDED.last_serial
  RETURNING k.month, k.last_serial
),
numbered AS (
  SELECT n.case_id, format('PI-%s-%s', n.month, lpad((k.last_serial - m.added + n.nth)::text, 7, '0')) AS case_no
  FROM jsonb_to_recordset($2::jsonb) AS n(case_id text, month text, nth int)
  JOIN jsonb_to_recordset($1::jsonb) AS m(month text, added int) ON m.month = n.month
  JOIN counters k ON k.month = n.month
),
incoming_states AS (
  SELECT s.waybill_no, s.version, s.base, s.added,
    CASE WHEN NOT s.numbering THEN s.state ELSE jsonb_set(s.state::jsonb, '{cases}', (
      SELECT jsonb_agg(${withCaseNo('e.c', 'nb.case_no')} ORDER BY e.i)
      FROM jsonb_array_elements(s.state::jsonb -> 'cases') WITH ORDINALITY AS e(c, i)
      LEFT JOIN numbered nb ON nb.case_id = e.c ->> 'id'))::json END AS state
  FROM json_to_recordset($3::json) AS s(waybill_no text, version int, base int, numbering boolean, state json, added int)
),
-- A snapshot (added null) replaces the version it was derived from (base), or any version when the caller holds
-- the row lock (base null); one derived from nothing (base 0) creates the row, or fills a row that is still empty.
-- A journaled waybill (added: its new entries) keeps its snapshot and only moves its version on.
updated_states AS (
  UPDATE waybill_state w SET
    state = CASE WHEN s.added IS NULL THEN s.state ELSE w.state END,
    journaled = CASE WHEN s.added IS NULL THEN 0 ELSE w.journaled + s.added END,
    version = s.version, updated_at = now()
  FROM incoming_states s
  WHERE w.waybill_no = s.waybill_no AND s.base IS DISTINCT FROM 0 AND (s.base IS NULL OR w.version = s.base)
  RETURNING 1
),
created_states AS (
  INSERT INTO waybill_state AS w (waybill_no, state, version)
  SELECT waybill_no, state, version FROM incoming_states WHERE base = 0 AND added IS NULL
  ON CONFLICT (waybill_no) DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version, journaled = 0, updated_at = now()
  WHERE w.version = 0
  RETURNING 1
),
journal AS (
  INSERT INTO waybill_journal (waybill_no, version, input)
  SELECT waybill_no, version, input FROM json_to_recordset($10::json) AS j(waybill_no text, version int, input json)
  ON CONFLICT DO NOTHING
),
-- Entries a new snapshot supersedes.
pruned_journal AS (
  DELETE FROM waybill_journal j USING incoming_states s
  WHERE s.added IS NULL AND j.waybill_no = s.waybill_no AND j.version <= s.version
),
cases AS (
  INSERT INTO problem_case (case_id, case_no, waybill_no, case_class, reason_code, state, opened_at, closed_at,
    outcome, origin_branch, delivering_branch, reported_by_site, detected_by, overdue, overdue_rules,
    escalation_level, no_reply, under_hq_review, favourable_to_db, wrong_target, next_due_at, snapshot)
  SELECT c.case_id, coalesce(c.case_no, nb.case_no), c.waybill_no, c.case_class, c.reason_code, c.state, c.opened_at,
    c.closed_at, c.outcome, c.origin_branch, c.delivering_branch, c.reported_by_site, c.detected_by, c.overdue,
    c.overdue_rules, c.escalation_level, c.no_reply, c.under_hq_review, c.favourable_to_db, c.wrong_target,
    c.next_due_at, ${withCaseNo('c.snapshot', 'nb.case_no')}
  FROM jsonb_to_recordset($4::jsonb) AS c(case_id text, case_no text, waybill_no text, case_class text,
    reason_code text, state text, opened_at timestamptz, closed_at timestamptz, outcome text, origin_branch text,
    delivering_branch text, reported_by_site text, detected_by text, overdue boolean, overdue_rules text[],
    escalation_level int, no_reply boolean, under_hq_review boolean, favourable_to_db boolean,
    wrong_target boolean, next_due_at timestamptz, snapshot jsonb)
  LEFT JOIN numbered nb ON nb.case_id = c.case_id
  -- Everything the engine may still revise: an event that arrives late can move when and how a case was opened.
  ON CONFLICT (case_id) DO UPDATE SET
    opened_at = EXCLUDED.opened_at, detected_by = EXCLUDED.detected_by, origin_branch = EXCLUDED.origin_branch,
    state = EXCLUDED.state, reason_code = EXCLUDED.reason_code, closed_at = EXCLUDED.closed_at,
    outcome = EXCLUDED.outcome, delivering_branch = EXCLUDED.delivering_branch,
    reported_by_site = EXCLUDED.reported_by_site, overdue = EXCLUDED.overdue,
    overdue_rules = EXCLUDED.overdue_rules, escalation_level = EXCLUDED.escalation_level,
    no_reply = EXCLUDED.no_reply, under_hq_review = EXCLUDED.under_hq_review,
    favourable_to_db = EXCLUDED.favourable_to_db, wrong_target = EXCLUDED.wrong_target,
    next_due_at = EXCLUDED.next_due_at, snapshot = EXCLUDED.snapshot, updated_at = now()
),
timeline AS (
  INSERT INTO case_timeline (case_id, seq, at, from_state, to_state, actor, source_event_id, note)
  SELECT case_id, seq, at, from_state, to_state, actor, source_event_id, note
  FROM jsonb_to_recordset($5::jsonb) AS t(case_id text, seq int, at timestamptz, from_state text,
    to_state text, actor text, source_event_id text, note text)
  ON CONFLICT DO NOTHING
),
deadlines AS (
  INSERT INTO deadline (deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at, met_at, missed_at)
  SELECT deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at, met_at, missed_at
  FROM jsonb_to_recordset($6::jsonb) AS d(deadline_id text, case_id text, waybill_no text, rule text,
    due_at timestamptz, party text, site_code text, status text, armed_at timestamptz, met_at timestamptz,
    missed_at timestamptz)
  ON CONFLICT (deadline_id) DO UPDATE SET due_at = EXCLUDED.due_at, status = EXCLUDED.status, party = EXCLUDED.party,
    site_code = EXCLUDED.site_code, met_at = EXCLUDED.met_at, missed_at = EXCLUDED.missed_at, updated_at = now()
),
liabilities AS (
  INSERT INTO liability_record (record_id, kind, case_id, deadline_id, rule, party, site_code, due_at, met_at,
    minutes_late, evidence, favourable_to_db, refers_to, reviewer, review_outcome, reason, recorded_at)
  SELECT record_id, kind, case_id, deadline_id, rule, party, site_code, due_at, met_at, minutes_late, evidence,
    favourable_to_db, refers_to, reviewer, review_outcome, reason, recorded_at
  FROM jsonb_to_recordset($7::jsonb) AS l(record_id text, kind text, case_id text, deadline_id text,
    rule text, party text, site_code text, due_at timestamptz, met_at timestamptz, minutes_late int, evidence jsonb,
    favourable_to_db boolean, refers_to text, reviewer text, review_outcome text, reason text, recorded_at timestamptz)
  ON CONFLICT (record_id) DO NOTHING
),
notifications AS (
  INSERT INTO notification (notification_id, case_id, kind, channel, target_role, target_site, recipient,
    recipient_masked, template_key, body, content_sha256, vars, event_time, not_before, already_sent, status)
  SELECT notification_id, case_id, kind, channel, target_role, target_site, recipient, recipient_masked,
    template_key, body, content_sha256, vars, event_time, not_before, already_sent, status
  FROM jsonb_to_recordset($8::jsonb) AS n(notification_id text, case_id text, kind text,
    channel text, target_role text, target_site text, recipient text, recipient_masked text, template_key text,
    body text, content_sha256 text, vars jsonb, event_time timestamptz, not_before timestamptz, already_sent boolean,
    status text)
  ON CONFLICT (notification_id) DO NOTHING
),
-- The outbox keeps the document's order (its ids are the publishing order).
outbox AS (
  INSERT INTO outbox (topic_role, message_key, payload)
  SELECT o.topic_role, o.message_key, ${withCaseNo('o.payload', 'nb.case_no')}
  FROM ROWS FROM (jsonb_to_recordset($9::jsonb) AS (topic_role text, message_key text, payload jsonb, case_id text))
    WITH ORDINALITY AS o(topic_role, message_key, payload, case_id, ord)
  LEFT JOIN numbered nb ON nb.case_id = o.case_id
  ORDER BY o.ord
)
SELECT (SELECT count(*) FROM updated_states) + (SELECT count(*) FROM created_states) AS states_written,
  (SELECT coalesce(json_agg(json_build_object('case_id', case_id, 'case_no', case_no)), '[]') FROM numbered) AS numbered`;
