import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CASE_NO_PATTERN } from '#contracts';
import { maskPii } from '#observability';
import { isSiteBound, type Principal } from '../auth/principal.js';
import { DEFAULT_PAGE_SIZE, encodeCursor, type CaseCursor, type CaseListQuery } from './case-query.js';

/** The columns of a case the API shows in lists and uses for authorisation. */
export interface CaseSummary {
  caseId: string;
  caseNo: string;
  waybillNo: string;
  caseClass: string;
  reasonCode: string;
  state: string;
  openedAt: string;
  closedAt: string | null;
  outcome: string | null;
  originBranch: string | null;
  deliveringBranch: string | null;
  reportedBySite: string | null;
  detectedBy: string;
  nextDueAt: string | null;
  overdue: boolean;
  overdueRules: string[];
  escalationLevel: number;
  flags: { noReply: boolean; underHqReview: boolean; favourableToDb: boolean; wrongTarget: boolean };
  /** The liabilities in force (HQ reviews applied), from the engine's flags. */
  liable: { rule: string; party: string; siteCode: string | null }[];
}

export interface CasePage {
  items: CaseSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

interface CaseRow {
  case_id: string;
  case_no: string;
  waybill_no: string;
  case_class: string;
  reason_code: string;
  state: string;
  opened_at: Date;
  closed_at: Date | null;
  outcome: string | null;
  origin_branch: string | null;
  delivering_branch: string | null;
  reported_by_site: string | null;
  detected_by: string;
  next_due_at: Date | null;
  due_key: string | null;
  overdue: boolean;
  overdue_rules: string[];
  escalation_level: number;
  no_reply: boolean;
  under_hq_review: boolean;
  favourable_to_db: boolean;
  wrong_target: boolean;
  liable: { rule: string; party: string; siteCode: string | null }[] | null;
}

const CASE_COLUMNS = `c.case_id, c.case_no, c.waybill_no, c.case_class, c.reason_code, c.state, c.opened_at, c.closed_at,
  c.outcome, c.origin_branch, c.delivering_branch, c.reported_by_site, c.detected_by, c.next_due_at,
  to_char(c.next_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS due_key,
  c.overdue, c.overdue_rules, c.escalation_level, c.no_reply, c.under_hq_review, c.favourable_to_db, c.wrong_target,
  c.snapshot -> 'flags' -> 'overdue' AS liable`;

const OPEN_STATES_SQL = `('RESOLVED', 'CLOSED')`;

/** Bound parameters of one statement: `add(value)` returns its placeholder. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The case's OB or DB is the site, or the site registered it (any of its registrations: `reported_by_site` keeps the
 * first, or the detecting site of a case no one registered yet). Each term has its index.
 */
function involvesSite(site: string): string {
  return `(c.origin_branch = ${site} OR c.delivering_branch = ${site} OR c.reported_by_site = ${site}
    OR jsonb_path_query_array(c.snapshot, '$.data.registrations[*].site') @> jsonb_build_array(${site}::text))`;
}

/**
 * rules §6 as SQL: branch staff see the cases where their branch is the OB, the DB or a registering site; hub
 * staff their hub's (a hub is only ever a registering or the detecting site); HQ and ops all.
 */
function scopeCondition(principal: Principal, params: Params): string {
  if (!isSiteBound(principal)) return 'TRUE';
  return involvesSite(params.add(principal.siteCode));
}

/** Reads of problem cases, always through the caller's scope: a case outside it is indistinguishable from none. */
@Injectable()
export class CasesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async list(principal: Principal, query: CaseListQuery, after: CaseCursor | null): Promise<CasePage> {
    const params = new Params();
    const where = [scopeCondition(principal, params)];
    if (query.class) where.push(`c.case_class = ANY(${params.add(query.class)}::text[])`);
    if (query.reason) where.push(`c.reason_code = ANY(${params.add(query.reason)}::text[])`);
    if (query.state) where.push(`c.state = ANY(${params.add(query.state)}::text[])`);
    if (query.open !== undefined) where.push(`c.state ${query.open ? 'NOT IN' : 'IN'} ${OPEN_STATES_SQL}`);
    if (query.overdue !== undefined) where.push(query.overdue ? 'c.overdue' : 'NOT c.overdue');
    if (query.rule) {
      const rule = params.add(query.rule);
      where.push(
        query.overdue
          ? `${rule} = ANY(c.overdue_rules)`
          : `EXISTS (SELECT 1 FROM deadline d WHERE d.case_id = c.case_id AND d.rule = ${rule})`,
      );
    }
    if (query.site) where.push(involvesSite(params.add(query.site)));
    if (query.liableParty) {
      where.push(`c.snapshot -> 'flags' -> 'overdue' @> jsonb_build_array(jsonb_build_object('party', ${params.add(query.liableParty)}::text))`);
    }
    if (query.waybillNo) where.push(`c.waybill_no = ${params.add(query.waybillNo)}`);
    if (query.openedFrom) where.push(`c.opened_at >= ${params.add(query.openedFrom)}::timestamptz`);
    if (query.openedTo) where.push(`c.opened_at < ${params.add(query.openedTo)}::timestamptz`);
    if (after) {
      const id = params.add(after.caseId);
      if (after.due === null) {
        where.push(`(c.next_due_at IS NULL AND c.case_id > ${id})`);
      } else {
        const due = params.add(after.due);
        where.push(
          `(c.next_due_at > ${due}::timestamptz OR (c.next_due_at = ${due}::timestamptz AND c.case_id > ${id}) OR c.next_due_at IS NULL)`,
        );
      }
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // One row more than the page tells whether another page follows.
    const rows: CaseRow[] = await this.dataSource.query(
      `SELECT ${CASE_COLUMNS} FROM problem_case c WHERE ${where.join(' AND ')}
       ORDER BY c.next_due_at ASC NULLS LAST, c.case_id ASC LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toSummary),
      nextCursor: rows.length > limit && last ? encodeCursor({ due: last.due_key, caseId: last.case_id }) : null,
    };
  }

  /** The case named by its number (`PI-…`) or id, when the caller may see it; null otherwise. */
  async findVisible(principal: Principal, caseRef: string): Promise<CaseSummary | null> {
    const params = new Params();
    const column = CASE_NO_PATTERN.test(caseRef) ? 'c.case_no' : 'c.case_id';
    const rows: CaseRow[] = await this.dataSource.query(
      `SELECT ${CASE_COLUMNS} FROM problem_case c WHERE ${column} = ${params.add(caseRef)} AND ${scopeCondition(principal, params)}`,
      params.values,
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }

  /** Timeline, deadlines, liability, notifications (masked) and evidence of a case already authorised. */
  async detail(summary: CaseSummary): Promise<CaseDetail> {
    const caseId = summary.caseId;
    const q = <T>(sql: string) => this.dataSource.query(sql, [caseId]) as Promise<T[]>;
    const [timeline, deadlines, liabilities, notifications, uploaded, snapshots] = await Promise.all([
      q<TimelineRow>(
        `SELECT seq, at, from_state AS "fromState", to_state AS "toState", actor, source_event_id AS "sourceEventId", note
           FROM case_timeline WHERE case_id = $1 ORDER BY seq`,
      ),
      q<DeadlineRow>(
        `SELECT deadline_id AS "deadlineId", rule, due_at AS "dueAt", party, site_code AS "siteCode", status,
                armed_at AS "armedAt", met_at AS "metAt", missed_at AS "missedAt"
           FROM deadline WHERE case_id = $1 ORDER BY due_at, deadline_id`,
      ),
      q<LiabilityRow>(
        `SELECT record_id AS "recordId", kind, rule, party, site_code AS "siteCode", deadline_id AS "deadlineId",
                due_at AS "dueAt", met_at AS "metAt", minutes_late AS "minutesLate", favourable_to_db AS "favourableToDb",
                refers_to AS "refersTo", reviewer, review_outcome AS "reviewOutcome", reason, evidence, recorded_at AS "recordedAt"
           FROM liability_record WHERE case_id = $1 ORDER BY recorded_at, inserted_at, record_id`,
      ),
      // The raw recipient column is never read: only its masked form leaves the database.
      q<NotificationRow>(
        `SELECT notification_id AS "notificationId", kind, channel, target_role AS "targetRole", target_site AS "targetSite",
                recipient_masked AS "recipientMasked", body, status, attempts, event_time AS "eventTime",
                not_before AS "notBefore", sent_at AS "sentAt", already_sent AS "alreadySent"
           FROM notification WHERE case_id = $1 ORDER BY event_time, notification_id`,
      ),
      q<UploadedEvidenceRow>(
        `SELECT evidence_id AS "evidenceId", kind, sha256, size_bytes AS "sizeBytes", media_type AS "mediaType",
                file_name AS "fileName", note, uploader_name AS "uploadedBy", uploader_site AS "uploaderSite",
                uploaded_at AS "uploadedAt"
           FROM case_evidence WHERE case_id = $1 ORDER BY uploaded_at, evidence_id`,
      ),
      q<{ snapshot: CaseSnapshotData }>(`SELECT snapshot -> 'data' AS snapshot FROM problem_case WHERE case_id = $1`),
    ]);
    const data = snapshots[0]?.snapshot ?? {};
    const registrations = data.registrations ?? [];
    return {
      case: summary,
      timeline,
      deadlines,
      liabilities,
      notifications: notifications.map((n) => ({ ...n, body: maskPii(n.body) })),
      evidence: {
        registered: registrations.flatMap((registration) =>
          (registration.evidence ?? []).map((item) => ({
            kind: item.kind,
            uri: item.uri,
            sha256: item.sha256,
            registrationEventId: registration.eventId,
            site: registration.site,
            at: registration.at,
          })),
        ),
        uploaded,
      },
      handling: maskPii({
        missing: data.missing ?? [],
        change: data.change ?? null,
        defaultProcedure: data.defaultProcedure ?? null,
        guidance: data.guidance ?? null,
        registrations: registrations.map(({ evidence: _evidence, ...registration }) => registration),
        replies: data.replies ?? [],
        actions: data.actions ?? [],
        attempts: data.attempts ?? [],
      }) as CaseDetail['handling'],
    };
  }
}

function toSummary(row: CaseRow): CaseSummary {
  return {
    caseId: row.case_id,
    caseNo: row.case_no,
    waybillNo: row.waybill_no,
    caseClass: row.case_class,
    reasonCode: row.reason_code,
    state: row.state,
    openedAt: row.opened_at.toISOString(),
    closedAt: row.closed_at?.toISOString() ?? null,
    outcome: row.outcome,
    originBranch: row.origin_branch,
    deliveringBranch: row.delivering_branch,
    reportedBySite: row.reported_by_site,
    detectedBy: row.detected_by,
    nextDueAt: row.next_due_at?.toISOString() ?? null,
    overdue: row.overdue,
    overdueRules: row.overdue_rules,
    escalationLevel: row.escalation_level,
    flags: {
      noReply: row.no_reply,
      underHqReview: row.under_hq_review,
      favourableToDb: row.favourable_to_db,
      wrongTarget: row.wrong_target,
    },
    liable: (row.liable ?? []).map(({ rule, party, siteCode }) => ({ rule, party, siteCode: siteCode ?? null })),
  };
}

interface TimelineRow {
  seq: number;
  at: Date;
  fromState: string | null;
  toState: string;
  actor: string;
  sourceEventId: string | null;
  note: string | null;
}

interface DeadlineRow {
  deadlineId: string;
  rule: string;
  dueAt: Date;
  party: string;
  siteCode: string | null;
  status: string;
  armedAt: Date;
  metAt: Date | null;
  missedAt: Date | null;
}

export interface LiabilityRow {
  recordId: string;
  kind: string;
  rule: string;
  party: string;
  siteCode: string | null;
  deadlineId: string | null;
  dueAt: Date | null;
  metAt: Date | null;
  minutesLate: number | null;
  favourableToDb: boolean;
  refersTo: string | null;
  reviewer: string | null;
  reviewOutcome: string | null;
  reason: string | null;
  evidence: Record<string, unknown>;
  recordedAt: Date;
}

interface NotificationRow {
  notificationId: string;
  kind: string;
  channel: string;
  targetRole: string;
  targetSite: string | null;
  recipientMasked: string | null;
  body: string;
  status: string;
  attempts: number;
  eventTime: Date;
  notBefore: Date | null;
  sentAt: Date | null;
  alreadySent: boolean;
}

interface UploadedEvidenceRow {
  evidenceId: string;
  kind: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  fileName: string | null;
  note: string | null;
  uploadedBy: string;
  uploaderSite: string | null;
  uploadedAt: Date;
}

/** The parts of the engine's case data (libs/domain engine/model.ts `CaseData`) the detail shows. */
interface CaseSnapshotData {
  registrations?: { eventId: string; site: string; at: string; evidence?: { kind: string; uri: string; sha256: string }[] }[];
  replies?: unknown[];
  actions?: unknown[];
  attempts?: unknown[];
  missing?: string[];
  change?: unknown;
  defaultProcedure?: string | null;
  guidance?: string | null;
}

export interface CaseDetail {
  case: CaseSummary;
  timeline: TimelineRow[];
  deadlines: DeadlineRow[];
  liabilities: LiabilityRow[];
  notifications: NotificationRow[];
  evidence: {
    /** Evidence listed by registrations (kept by the engine with its SHA-256). */
    registered: { kind: string; uri: string; sha256: string; registrationEventId: string; site: string; at: string }[];
    /** Evidence uploaded through this API (immutable; content at `GET /api/cases/{caseRef}/evidence/{evidenceId}`). */
    uploaded: UploadedEvidenceRow[];
  };
  /** What the engine recorded for the case's handling (rules §5), personal data masked. */
  handling: {
    missing: string[];
    change: unknown;
    defaultProcedure: string | null;
    guidance: string | null;
    registrations: unknown[];
    replies: unknown[];
    actions: unknown[];
    attempts: unknown[];
  };
}
