import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Deadline, Effect, LiabilityRecord, NotificationIntent, Policy, ProblemCase, WaybillState } from '#domain';
import {
  caseEvents,
  DecisionRepository,
  deadlineIntent,
  dirtyCaseIds,
  formatCaseNo,
  maskContact,
  notificationIntent,
  type OutboxEntry,
} from '#persistence';

/** A deadline row as the judgement reads it. */
export interface DeadlineRow {
  deadline_id: string;
  waybill_no: string;
  case_id: string | null;
  status: string;
  due_at: Date;
}

export interface JudgementsToPersist {
  /** The waybills' states as locked, before the judgements (to write only the timeline entries they added). */
  before: Map<string, WaybillState | null>;
  /** Final state of every waybill a judgement changed. */
  states: WaybillState[];
  /** All effects, in the order the engine produced them. */
  effects: Effect[];
}

/** Waybill states per UPDATE (three parameters each; PostgreSQL takes at most 65 535). */
const STATES_PER_STATEMENT = 1000;

/**
 * PostgreSQL side of judging due deadlines in bulk: the claim (which waybills this transaction judges) and the
 * writes of the outcome, one statement per table, each with a single JSON document as its parameter.
 *
 * The writes are those `DecisionRepository.persist` makes for any engine decision (same tables, columns,
 * deterministic ids and outbox messages — test/deadlines/judgement-writes.e2e.ts compares the two), specialised
 * for the timer path: the ingest service owns that repository and tunes it for its event batches; this one is
 * tuned for thousands of timers due at once. No `jsonb[]` array parameters (the pg driver escapes them
 * character by character: ~0.5 ms of Node CPU per waybill state): one JSON document per statement for the
 * small rows, one parameter per waybill state, the cases' rows derived in SQL from the states just written,
 * and only the timeline entries the judgement added instead of every entry of every touched case.
 */
export class JudgementRepository {
  /**
   * Locks the waybills of up to `limit` pending deadlines due by `dueBy`, earliest first, without waiting:
   * a waybill another transaction holds (ingest deciding one of its events, another sweep) is skipped, and its
   * deadlines are left to that sweep or to a later one. Waybills are locked before anything of theirs is
   * written, as ingest does, so a sweep and ingest never wait on each other in opposite orders. Returns the
   * claimed deadline ids; their rows must be re-read (this statement's snapshot predates the locks).
   */
  static async claimDue(manager: EntityManager, dueBy: Date, limit: number, excluded: string[]): Promise<string[]> {
    const rows: { deadline_id: string }[] = await manager.query(
      `SELECT d.deadline_id
       FROM deadline d JOIN waybill_state w ON w.waybill_no = d.waybill_no
       WHERE d.status = 'PENDING' AND d.due_at <= $1 AND NOT (d.deadline_id = ANY($3::text[]))
       ORDER BY d.due_at
       LIMIT $2
       FOR UPDATE OF w SKIP LOCKED`,
      [dueBy, limit, excluded],
    );
    return rows.map((r) => r.deadline_id);
  }

  /** Locks these waybills, waiting for them, in sorted order (as ingest does, so that the two queue instead of deadlocking). */
  static async lockWaybills(manager: EntityManager, waybillNos: string[]): Promise<void> {
    if (waybillNos.length === 0) return;
    await manager.query(`SELECT 1 FROM waybill_state WHERE waybill_no = ANY($1::text[]) ORDER BY waybill_no FOR UPDATE`, [
      [...new Set(waybillNos)].sort(),
    ]);
  }

  static async readDeadlines(manager: Pick<EntityManager, 'query'>, ids: string[]): Promise<Map<string, DeadlineRow>> {
    if (ids.length === 0) return new Map();
    const rows: DeadlineRow[] = await manager.query(
      `SELECT deadline_id, waybill_no, case_id, status, due_at FROM deadline WHERE deadline_id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.deadline_id, { ...r, due_at: new Date(r.due_at) }]));
  }

  /** The states of waybills this transaction has locked (their journals folded, see waybill-journal.ts). */
  static readStates(manager: EntityManager, waybillNos: string[], policy: Policy): Promise<Map<string, WaybillState | null>> {
    return DecisionRepository.readStates(manager, waybillNos, policy);
  }

  static async persist(manager: EntityManager, input: JudgementsToPersist): Promise<void> {
    const { states, effects } = input;
    if (states.length === 0) return;
    const caseById = new Map<string, ProblemCase>();
    for (const state of states) for (const c of state.cases) caseById.set(c.id, c);

    await assignCaseNumbers(manager, states);
    const dirty = dirtyCaseIds(effects);
    const cases = [...dirty].map((id) => caseById.get(id)).filter((c): c is ProblemCase => Boolean(c));

    // The states are the bulk of what is written (~5 KB of JSON each): one parameter per state lets PostgreSQL
    // parse each on its own, which costs it about a third less than one document holding them all.
    for (let i = 0; i < states.length; i += STATES_PER_STATEMENT) {
      const chunk = states.slice(i, i + STATES_PER_STATEMENT);
      const rows = chunk.map((_, j) => `($${3 * j + 1}::text, $${3 * j + 2}::json, $${3 * j + 3}::int)`);
      await manager.query(
        `UPDATE waybill_state w SET state = s.state, version = s.version, journaled = 0, updated_at = now()
         FROM (VALUES ${rows.join(', ')}) AS s(waybill_no, state, version)
         WHERE w.waybill_no = s.waybill_no`,
        chunk.flatMap((state) => [state.waybillNo, JSON.stringify(state), state.version]),
      );
    }
    // The journal entries these snapshots supersede (the states were read with them folded in).
    await manager.query(`DELETE FROM waybill_journal WHERE waybill_no = ANY($1::text[])`, [states.map((s) => s.waybillNo)]);
    // The cases' rows are projections of the states just written: PostgreSQL derives them from those (a case
    // travels as JSON once, in its waybill's state, instead of twice).
    if (cases.length > 0) {
      await manager.query(
        `INSERT INTO problem_case (case_id, case_no, waybill_no, case_class, reason_code, state, opened_at, closed_at,
           outcome, origin_branch, delivering_branch, reported_by_site, detected_by, overdue, overdue_rules,
           escalation_level, no_reply, under_hq_review, favourable_to_db, wrong_target, next_due_at, snapshot)
         SELECT c->>'id', c->>'caseNo', c->>'waybillNo', c->>'caseClass', c->>'reasonCode', c->>'state',
           (c->>'openedAt')::timestamptz, (c->>'closedAt')::timestamptz, c->>'outcome', c->>'originBranch',
           c->>'deliveringBranch', c->>'reportedBySite', c->>'detectedBy',
           jsonb_array_length(c->'flags'->'overdue') > 0,
           ARRAY(SELECT o.value->>'rule' FROM jsonb_array_elements(c->'flags'->'overdue') WITH ORDINALITY AS o ORDER BY o.ordinality),
           (c->'flags'->>'escalationLevel')::int, (c->'flags'->>'noReply')::boolean,
           (c->'flags'->>'underHqReview')::boolean, (c->'flags'->>'favourableToDb')::boolean,
           (c->'flags'->>'wrongTarget')::boolean,
           (SELECT min((d->>'dueAt')::timestamptz) FROM jsonb_array_elements(c->'deadlines') AS d WHERE d->>'status' = 'PENDING'),
           c - 'timeline' - 'liabilities'
         FROM waybill_state w CROSS JOIN LATERAL jsonb_array_elements(w.state::jsonb -> 'cases') AS c
         WHERE w.waybill_no = ANY($1::text[]) AND c->>'id' = ANY($2::text[])
         ON CONFLICT (case_id) DO UPDATE SET
           state = EXCLUDED.state, reason_code = EXCLUDED.reason_code, closed_at = EXCLUDED.closed_at,
           outcome = EXCLUDED.outcome, delivering_branch = EXCLUDED.delivering_branch,
           reported_by_site = EXCLUDED.reported_by_site, overdue = EXCLUDED.overdue,
           overdue_rules = EXCLUDED.overdue_rules, escalation_level = EXCLUDED.escalation_level,
           no_reply = EXCLUDED.no_reply, under_hq_review = EXCLUDED.under_hq_review,
           favourable_to_db = EXCLUDED.favourable_to_db, wrong_target = EXCLUDED.wrong_target,
           next_due_at = EXCLUDED.next_due_at, snapshot = EXCLUDED.snapshot, updated_at = now()`,
        [[...new Set(cases.map((c) => c.waybillNo))], cases.map((c) => c.id)],
      );
    }
    await write(
      manager,
      `INSERT INTO case_timeline (case_id, seq, at, from_state, to_state, actor, source_event_id, note)
       SELECT case_id, seq, at, from_state, to_state, actor, source_event_id, note
       FROM jsonb_to_recordset($1::jsonb) AS s(case_id text, seq int, at timestamptz, from_state text, to_state text,
         actor text, source_event_id text, note text)
       ON CONFLICT DO NOTHING`,
      newTimelineEntries(cases, input.before),
    );

    const deadlines = new Map<string, { deadline: Deadline; waybillNo: string }>();
    const liabilities: LiabilityRecord[] = [];
    const notifications: NotificationIntent[] = [];
    const moved = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'DeadlineArmed':
        case 'DeadlineMoved':
        case 'DeadlineMet':
        case 'DeadlineMissed':
        case 'DeadlineCancelled':
        case 'DeadlineRetracted': {
          if (effect.type === 'DeadlineMoved') moved.add(effect.deadline.id);
          const caseId = effect.deadline.caseId;
          const waybillNo = (caseId && caseById.get(caseId)?.waybillNo) || effect.deadline.id.split('-')[0]!;
          deadlines.set(effect.deadline.id, { deadline: effect.deadline, waybillNo });
          break;
        }
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
    await write(
      manager,
      `INSERT INTO deadline (deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at, met_at, missed_at)
       SELECT deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at, met_at, missed_at
       FROM jsonb_to_recordset($1::jsonb) AS s(deadline_id text, case_id text, waybill_no text, rule text,
         due_at timestamptz, party text, site_code text, status text, armed_at timestamptz, met_at timestamptz,
         missed_at timestamptz)
       ON CONFLICT (deadline_id) DO UPDATE SET due_at = EXCLUDED.due_at, status = EXCLUDED.status, party = EXCLUDED.party,
         site_code = EXCLUDED.site_code, met_at = EXCLUDED.met_at, missed_at = EXCLUDED.missed_at, updated_at = now()`,
      [...deadlines.values()].map(({ deadline: d, waybillNo }) => ({
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
      })),
    );
    // Ordered so that a record is inserted after the one it refers to (same statement, FK checked per row).
    await write(
      manager,
      `INSERT INTO liability_record (record_id, kind, case_id, deadline_id, rule, party, site_code, due_at, met_at,
         minutes_late, evidence, favourable_to_db, refers_to, reviewer, review_outcome, reason, recorded_at)
       SELECT record_id, kind, case_id, deadline_id, rule, party, site_code, due_at, met_at, minutes_late, evidence,
         favourable_to_db, refers_to, reviewer, review_outcome, reason, recorded_at
       FROM jsonb_to_recordset($1::jsonb) AS s(record_id text, kind text, case_id text, deadline_id text,
         rule text, party text, site_code text, due_at timestamptz, met_at timestamptz, minutes_late int, evidence jsonb,
         favourable_to_db boolean, refers_to text, reviewer text, review_outcome text, reason text,
         recorded_at timestamptz, n int)
       ORDER BY n
       ON CONFLICT (record_id) DO NOTHING`,
      [...liabilities]
        .sort((a, b) => Number(Boolean(a.refersTo)) - Number(Boolean(b.refersTo)))
        .map((r, n) => ({
          n,
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
        })),
    );
    await write(
      manager,
      `INSERT INTO notification (notification_id, case_id, kind, channel, target_role, target_site, recipient,
         recipient_masked, template_key, body, content_sha256, vars, event_time, not_before, already_sent, status)
       SELECT notification_id, case_id, kind, channel, target_role, target_site, recipient, recipient_masked,
         template_key, body, content_sha256, vars, event_time, not_before, already_sent, status
       FROM jsonb_to_recordset($1::jsonb) AS s(notification_id text, case_id text, kind text, channel text,
         target_role text, target_site text, recipient text, recipient_masked text, template_key text, body text,
         content_sha256 text, vars jsonb, event_time timestamptz, not_before timestamptz, already_sent boolean,
         status text)
       ON CONFLICT (notification_id) DO NOTHING`,
      notifications.map((n) => ({
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
      })),
    );

    const outbox: OutboxEntry[] = [
      ...caseEvents(cases, effects),
      ...[...deadlines.values()].map(({ deadline, waybillNo }) => deadlineIntent(deadline, waybillNo, moved.has(deadline.id))),
      ...notifications.filter((n) => !n.alreadySent).map(notificationIntent),
    ];
    // In the given order: the relay publishes by id, and a waybill's intents must keep their order.
    await write(
      manager,
      `INSERT INTO outbox (topic_role, message_key, payload)
       SELECT topic_role, message_key, payload
       FROM jsonb_to_recordset($1::jsonb) AS s(topic_role text, message_key text, payload jsonb, n int)
       ORDER BY n`,
      outbox.map((e, n) => ({ n, topic_role: e.topicRole, message_key: e.key, payload: e.payload })),
    );
  }
}

async function write(manager: EntityManager, sql: string, rows: object[]): Promise<void> {
  if (rows.length > 0) await manager.query(sql, [JSON.stringify(rows)]);
}

/** Cases the engine left without a number get the next serials of their month (dwell timers open cases). */
async function assignCaseNumbers(manager: EntityManager, states: WaybillState[]): Promise<void> {
  const byMonth = new Map<string, ProblemCase[]>();
  for (const state of states) {
    for (const c of state.cases) {
      if (!c.caseNo) byMonth.set(c.caseNoMonth, [...(byMonth.get(c.caseNoMonth) ?? []), c]);
    }
  }
  for (const month of [...byMonth.keys()].sort()) {
    const list = byMonth.get(month)!;
    const [{ last_serial: last }] = await manager.query(
      `INSERT INTO case_number_counter (month, last_serial) VALUES ($1, $2)
       ON CONFLICT (month) DO UPDATE SET last_serial = case_number_counter.last_serial + EXCLUDED.last_serial
       RETURNING last_serial`,
      [month, list.length],
    );
    const first = Number(last) - list.length + 1;
    list.forEach((c, i) => (c.caseNo = formatCaseNo(month, first + i)));
  }
}

function newTimelineEntries(cases: ProblemCase[], before: Map<string, WaybillState | null>) {
  return cases.flatMap((c) => {
    const stored = before.get(c.waybillNo)?.cases.find((old) => old.id === c.id)?.timeline.length ?? 0;
    return c.timeline.slice(stored).map((entry, i) => ({
      case_id: c.id,
      seq: stored + i,
      at: entry.at,
      from_state: entry.from,
      to_state: entry.to,
      actor: entry.actor,
      source_event_id: entry.sourceEventId,
      note: entry.note ?? null,
    }));
  });
}
