import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Deadline, Effect, LiabilityRecord, NotificationIntent, ProblemCase, WaybillState } from '#domain';
import { OutboxRepository, type OutboxEntry } from './outbox.repository.js';
import type { CaseEventType, DeadlineIntent, NotificationIntentMessage } from './intents.js';

export interface DecisionsToPersist {
  /** Final state of every waybill the batch touched. */
  states: WaybillState[];
  /** All effects of the batch, in the order the engine produced them. */
  effects: Effect[];
  /** Extra outbox rows (DLQ records, …) written in the same transaction. */
  outbox?: OutboxEntry[];
}

export interface PersistSummary {
  casesOpened: number;
  casesWritten: number;
  deadlinesWritten: number;
  liabilitiesWritten: number;
  notificationsWritten: number;
}

const PENDING = 'PENDING';

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
 * liability records, notifications and the outbox, with one bulk statement per table. Runs inside
 * the caller's transaction; every statement is idempotent by deterministic ids, so replaying a
 * batch after a crash changes nothing.
 */
export class DecisionRepository {
  /**
   * Locks the waybills' rows (creating empty ones first), in sorted order so that concurrent
   * batches touching the same waybills queue instead of deadlocking.
   */
  static async lockStates(manager: EntityManager, waybillNos: string[]): Promise<Map<string, WaybillState | null>> {
    const sorted = [...new Set(waybillNos)].sort();
    const states = new Map<string, WaybillState | null>();
    if (sorted.length === 0) return states;
    await manager.query(
      `INSERT INTO waybill_state (waybill_no) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING`,
      [sorted],
    );
    const rows: { waybill_no: string; state: WaybillState | null }[] = await manager.query(
      `SELECT waybill_no, state FROM waybill_state WHERE waybill_no = ANY($1::text[]) ORDER BY waybill_no FOR UPDATE`,
      [sorted],
    );
    for (const row of rows) states.set(row.waybill_no, row.state);
    return states;
  }

  static async persist(manager: EntityManager, input: DecisionsToPersist): Promise<PersistSummary> {
    const { states, effects } = input;
    const caseById = new Map<string, ProblemCase>();
    for (const state of states) for (const c of state.cases) caseById.set(c.id, c);

    const casesOpened = await DecisionRepository.assignCaseNumbers(manager, states);
    const dirtyCases = DecisionRepository.dirtyCaseIds(effects);
    const cases = [...dirtyCases].map((id) => caseById.get(id)).filter((c): c is ProblemCase => Boolean(c));

    await DecisionRepository.upsertStates(manager, states);
    await DecisionRepository.upsertCases(manager, cases);
    await DecisionRepository.insertTimeline(manager, cases);

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
    await DecisionRepository.upsertDeadlines(manager, [...deadlines.values()]);
    await DecisionRepository.insertLiabilities(manager, liabilities);
    await DecisionRepository.insertNotifications(manager, notifications);

    const outbox: OutboxEntry[] = [
      ...DecisionRepository.caseEvents(cases, effects),
      ...[...deadlines.values()].map(({ deadline, waybillNo }) => deadlineIntent(deadline, waybillNo, moved.has(deadline.id))),
      ...notifications.filter((n) => !n.alreadySent).map(notificationIntent),
      ...(input.outbox ?? []),
    ];
    await OutboxRepository.append(manager, outbox);
    return {
      casesOpened,
      casesWritten: cases.length,
      deadlinesWritten: deadlines.size,
      liabilitiesWritten: liabilities.length,
      notificationsWritten: notifications.length,
    };
  }

  /** Cases the engine left without a number get the next serials of their month (one UPDATE per month). */
  private static async assignCaseNumbers(manager: EntityManager, states: WaybillState[]): Promise<number> {
    const byMonth = new Map<string, ProblemCase[]>();
    for (const state of states) {
      for (const c of state.cases) {
        if (c.caseNo) continue;
        const list = byMonth.get(c.caseNoMonth) ?? [];
        list.push(c);
        byMonth.set(c.caseNoMonth, list);
      }
    }
    let assigned = 0;
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
      assigned += list.length;
    }
    return assigned;
  }

  private static dirtyCaseIds(effects: Effect[]): Set<string> {
    const ids = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'CaseOpened':
        case 'CaseChanged':
        case 'CaseClosed':
        case 'Escalated':
          ids.add(effect.caseId);
          break;
        case 'DeadlineArmed':
        case 'DeadlineMoved':
        case 'DeadlineMet':
        case 'DeadlineMissed':
        case 'DeadlineCancelled':
        case 'DeadlineRetracted':
          if (effect.deadline.caseId) ids.add(effect.deadline.caseId);
          break;
        case 'LiabilityRecorded':
          ids.add(effect.record.caseId);
          break;
        case 'NotificationIntended':
          ids.add(effect.notification.caseId);
          break;
        default:
          break;
      }
    }
    return ids;
  }

  private static async upsertStates(manager: EntityManager, states: WaybillState[]): Promise<void> {
    if (states.length === 0) return;
    await manager.query(
      `UPDATE waybill_state w SET state = s.state, version = s.version, updated_at = now()
       FROM unnest($1::text[], $2::jsonb[], $3::int[]) AS s(waybill_no, state, version)
       WHERE w.waybill_no = s.waybill_no`,
      [states.map((s) => s.waybillNo), states.map((s) => JSON.stringify(s)), states.map((s) => s.version)],
    );
  }

  private static async upsertCases(manager: EntityManager, cases: ProblemCase[]): Promise<void> {
    if (cases.length === 0) return;
    const col = <T>(pick: (c: ProblemCase) => T) => cases.map(pick);
    await manager.query(
      `INSERT INTO problem_case (case_id, case_no, waybill_no, case_class, reason_code, state, opened_at, closed_at,
         outcome, origin_branch, delivering_branch, reported_by_site, detected_by, overdue, overdue_rules,
         escalation_level, no_reply, under_hq_review, favourable_to_db, wrong_target, next_due_at, snapshot)
       SELECT s.case_id, s.case_no, s.waybill_no, s.case_class, s.reason_code, s.state, s.opened_at, s.closed_at,
         s.outcome, s.origin_branch, s.delivering_branch, s.reported_by_site, s.detected_by, s.overdue,
         ARRAY(SELECT jsonb_array_elements_text(s.overdue_rules)), s.escalation_level, s.no_reply, s.under_hq_review,
         s.favourable_to_db, s.wrong_target, s.next_due_at, s.snapshot
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
         $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[],
         $15::jsonb[], $16::int[], $17::boolean[], $18::boolean[], $19::boolean[], $20::boolean[],
         $21::timestamptz[], $22::jsonb[])
         AS s(case_id, case_no, waybill_no, case_class, reason_code, state, opened_at, closed_at, outcome,
           origin_branch, delivering_branch, reported_by_site, detected_by, overdue, overdue_rules, escalation_level,
           no_reply, under_hq_review, favourable_to_db, wrong_target, next_due_at, snapshot)
       ON CONFLICT (case_id) DO UPDATE SET
         -- A scan that arrives after the registration can re-date the case (rules §2.1): follow the engine.
         opened_at = EXCLUDED.opened_at, detected_by = EXCLUDED.detected_by,
         state = EXCLUDED.state, reason_code = EXCLUDED.reason_code, closed_at = EXCLUDED.closed_at,
         outcome = EXCLUDED.outcome, delivering_branch = EXCLUDED.delivering_branch,
         reported_by_site = EXCLUDED.reported_by_site, overdue = EXCLUDED.overdue,
         overdue_rules = EXCLUDED.overdue_rules, escalation_level = EXCLUDED.escalation_level,
         no_reply = EXCLUDED.no_reply, under_hq_review = EXCLUDED.under_hq_review,
         favourable_to_db = EXCLUDED.favourable_to_db, wrong_target = EXCLUDED.wrong_target,
         next_due_at = EXCLUDED.next_due_at, snapshot = EXCLUDED.snapshot, updated_at = now()`,
      [
        col((c) => c.id),
        col((c) => c.caseNo),
        col((c) => c.waybillNo),
        col((c) => c.caseClass),
        col((c) => c.reasonCode),
        col((c) => c.state),
        col((c) => c.openedAt),
        col((c) => c.closedAt),
        col((c) => c.outcome),
        col((c) => c.originBranch),
        col((c) => c.deliveringBranch),
        col((c) => c.reportedBySite),
        col((c) => c.detectedBy),
        col((c) => c.flags.overdue.length > 0),
        col((c) => JSON.stringify(c.flags.overdue.map((o) => o.rule))),
        col((c) => c.flags.escalationLevel),
        col((c) => c.flags.noReply),
        col((c) => c.flags.underHqReview),
        col((c) => c.flags.favourableToDb),
        col((c) => c.flags.wrongTarget),
        col((c) => nextDueAt(c)),
        col((c) => JSON.stringify(caseSnapshot(c))),
      ],
    );
  }

  private static async insertTimeline(manager: EntityManager, cases: ProblemCase[]): Promise<void> {
    const rows = cases.flatMap((c) => c.timeline.map((entry, seq) => ({ caseId: c.id, seq, ...entry })));
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO case_timeline (case_id, seq, at, from_state, to_state, actor, source_event_id, note)
       SELECT * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT DO NOTHING`,
      [
        rows.map((r) => r.caseId),
        rows.map((r) => r.seq),
        rows.map((r) => r.at),
        rows.map((r) => r.from),
        rows.map((r) => r.to),
        rows.map((r) => r.actor),
        rows.map((r) => r.sourceEventId),
        rows.map((r) => r.note ?? null),
      ],
    );
  }

  private static async upsertDeadlines(manager: EntityManager, rows: { deadline: Deadline; waybillNo: string }[]): Promise<void> {
    if (rows.length === 0) return;
    const col = <T>(pick: (d: Deadline) => T) => rows.map((r) => pick(r.deadline));
    await manager.query(
      `INSERT INTO deadline (deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at, met_at, missed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],
         $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
       ON CONFLICT (deadline_id) DO UPDATE SET due_at = EXCLUDED.due_at, status = EXCLUDED.status, party = EXCLUDED.party,
         site_code = EXCLUDED.site_code, met_at = EXCLUDED.met_at, missed_at = EXCLUDED.missed_at, updated_at = now()`,
      [
        col((d) => d.id),
        col((d) => d.caseId),
        rows.map((r) => r.waybillNo),
        col((d) => d.rule),
        col((d) => d.dueAt),
        col((d) => d.party),
        col((d) => d.siteCode),
        col((d) => d.status),
        col((d) => d.armedAt),
        col((d) => d.metAt ?? null),
        col((d) => d.missedAt ?? null),
      ],
    );
  }

  private static async insertLiabilities(manager: EntityManager, records: LiabilityRecord[]): Promise<void> {
    if (records.length === 0) return;
    const col = <T>(pick: (r: LiabilityRecord) => T) => records.map(pick);
    // Sorted so that a record is inserted after the one it refers to (same statement, FK checked per row).
    records = [...records].sort((a, b) => Number(Boolean(a.refersTo)) - Number(Boolean(b.refersTo)));
    await manager.query(
      `INSERT INTO liability_record (record_id, kind, case_id, deadline_id, rule, party, site_code, due_at, met_at,
         minutes_late, evidence, favourable_to_db, refers_to, reviewer, review_outcome, reason, recorded_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::timestamptz[], $9::timestamptz[], $10::int[], $11::jsonb[], $12::boolean[], $13::text[], $14::text[],
         $15::text[], $16::text[], $17::timestamptz[])
       ON CONFLICT (record_id) DO NOTHING`,
      [
        col((r) => r.id),
        col((r) => r.kind),
        col((r) => r.caseId),
        col((r) => r.deadlineId),
        col((r) => r.rule),
        col((r) => r.party),
        col((r) => r.siteCode),
        col((r) => r.dueAt),
        col((r) => r.metAt),
        col((r) => r.minutesLate),
        col((r) => JSON.stringify(r.evidence ?? {})),
        col((r) => r.favourableToDb),
        col((r) => r.refersTo),
        col((r) => r.reviewer ?? null),
        col((r) => r.reviewOutcome ?? null),
        col((r) => r.reason ?? null),
        col((r) => r.recordedAt),
      ],
    );
  }

  private static async insertNotifications(manager: EntityManager, intents: NotificationIntent[]): Promise<void> {
    if (intents.length === 0) return;
    const col = <T>(pick: (n: NotificationIntent) => T) => intents.map(pick);
    await manager.query(
      `INSERT INTO notification (notification_id, case_id, kind, channel, target_role, target_site, recipient,
         recipient_masked, template_key, body, content_sha256, vars, event_time, not_before, already_sent, status)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::timestamptz[], $14::timestamptz[],
         $15::boolean[], $16::text[])
       ON CONFLICT (notification_id) DO NOTHING`,
      [
        col((n) => n.id),
        col((n) => n.caseId),
        col((n) => n.kind),
        col((n) => n.channel),
        col((n) => n.targetRole),
        col((n) => n.targetSite),
        col((n) => n.recipient),
        col((n) => maskContact(n.recipient)),
        col((n) => n.templateKey),
        col((n) => n.body),
        col((n) => createHash('sha256').update(n.body).digest('hex')),
        col((n) => JSON.stringify(n.vars ?? {})),
        col((n) => n.eventTime),
        col((n) => n.notBefore),
        col((n) => n.alreadySent),
        // An SMS the handheld already sent is recorded as evidence, never sent again (rules §6).
        col((n) => (n.alreadySent ? 'RECORDED' : 'PENDING')),
      ],
    );
  }

  /** One `courier.case.v1` message per case touched by the batch, typed by its most telling change. */
  private static caseEvents(cases: ProblemCase[], effects: Effect[]): OutboxEntry[] {
    const typeOf = new Map<string, CaseEventType>();
    const rank: Record<CaseEventType, number> = { CHANGED: 0, OVERDUE: 1, OPENED: 2, RESOLVED: 3 };
    const bump = (caseId: string | null, type: CaseEventType) => {
      if (!caseId) return;
      const current = typeOf.get(caseId);
      if (!current || rank[type] > rank[current]) typeOf.set(caseId, type);
    };
    for (const effect of effects) {
      if (effect.type === 'CaseOpened') bump(effect.caseId, 'OPENED');
      else if (effect.type === 'CaseClosed') bump(effect.caseId, 'RESOLVED');
      else if (effect.type === 'DeadlineMissed') bump(effect.deadline.caseId, 'OVERDUE');
    }
    return cases.map((c) => ({
      topicRole: 'case',
      key: c.waybillNo,
      payload: { schemaVersion: 1, type: typeOf.get(c.id) ?? 'CHANGED', ...caseSummary(c) },
    }));
  }
}

function nextDueAt(c: ProblemCase): string | null {
  let next: string | null = null;
  for (const d of c.deadlines) if (d.status === PENDING && (!next || d.dueAt < next)) next = d.dueAt;
  return next;
}

/** The snapshot column holds the case without its (separately stored) timeline, liabilities and PII. */
function caseSnapshot(c: ProblemCase): Omit<ProblemCase, 'timeline' | 'liabilities'> {
  const { timeline: _timeline, liabilities: _liabilities, ...rest } = c;
  return rest;
}

export function caseSummary(c: ProblemCase) {
  return {
    caseId: c.id,
    caseNo: c.caseNo,
    waybillNo: c.waybillNo,
    caseClass: c.caseClass,
    reasonCode: c.reasonCode,
    state: c.state,
    flags: c.flags,
    outcome: c.outcome,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    nextDueAt: nextDueAt(c),
    originBranch: c.originBranch,
    deliveringBranch: c.deliveringBranch,
    reportedBySite: c.reportedBySite,
  };
}

function deadlineIntent(deadline: Deadline, waybillNo: string, moved: boolean): OutboxEntry {
  const intent: DeadlineIntent = {
    op: deadline.status !== PENDING ? 'CANCEL' : moved ? 'MOVE' : 'ARM',
    deadlineId: deadline.id,
    caseId: deadline.caseId,
    waybillNo,
    rule: deadline.rule,
    dueAt: deadline.dueAt,
  };
  return { topicRole: 'deadlineIntent', key: waybillNo, payload: intent };
}

function notificationIntent(n: NotificationIntent): OutboxEntry {
  const intent: NotificationIntentMessage = { notificationId: n.id, caseId: n.caseId, kind: n.kind, notBefore: n.notBefore };
  return { topicRole: 'notificationIntent', key: n.caseId, payload: intent };
}

/** Deadline ids start with the waybill number (`${waybillNo}-…`): used for caseless timers. */
function waybillFromDeadlineId(id: string): string {
  return id.split('-')[0]!;
}
