import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { ApiTokenEntity, ApiUserEntity } from './user.entity.js';

/**
 * Read models for the API and the services' queries. The schema itself is owned by the SQL
 * migration (synchronize is never on outside unit tests); these mirror it column for column.
 */
const tz = { type: 'timestamptz' as const };
const tzNull = { type: 'timestamptz' as const, nullable: true };
const textNull = { type: 'text' as const, nullable: true };

@Entity({ name: 'waybill_state' })
export class WaybillStateEntity {
  @PrimaryColumn({ name: 'waybill_no', type: 'text' }) waybillNo: string;
  @Column({ type: 'json', nullable: true }) state: unknown;
  @Column({ type: 'integer' }) version: number;
  /** Journal entries after the snapshot (`state` is the state at `version - journaled`). */
  @Column({ type: 'integer' }) journaled: number;
  @Column({ name: 'updated_at', ...tz }) updatedAt: Date;
}

@Entity({ name: 'waybill_journal' })
export class WaybillJournalEntity {
  @PrimaryColumn({ name: 'waybill_no', type: 'text' }) waybillNo: string;
  @PrimaryColumn({ type: 'integer' }) version: number;
  @Column({ type: 'json' }) input: unknown;
}

@Entity({ name: 'problem_case' })
export class ProblemCaseEntity {
  @PrimaryColumn({ name: 'case_id', type: 'text' }) caseId: string;
  @Column({ name: 'case_no', type: 'text' }) caseNo: string;
  @Column({ name: 'waybill_no', type: 'text' }) waybillNo: string;
  @Column({ name: 'case_class', type: 'text' }) caseClass: string;
  @Column({ name: 'reason_code', type: 'text' }) reasonCode: string;
  @Column({ type: 'text' }) state: string;
  @Column({ name: 'opened_at', ...tz }) openedAt: Date;
  @Column({ name: 'closed_at', ...tzNull }) closedAt: Date | null;
  @Column(textNull) outcome: string | null;
  @Column({ name: 'origin_branch', ...textNull }) originBranch: string | null;
  @Column({ name: 'delivering_branch', ...textNull }) deliveringBranch: string | null;
  @Column({ name: 'reported_by_site', ...textNull }) reportedBySite: string | null;
  @Column({ name: 'detected_by', type: 'text' }) detectedBy: string;
  @Column({ type: 'boolean' }) overdue: boolean;
  @Column({ name: 'overdue_rules', type: 'text', array: true }) overdueRules: string[];
  @Column({ name: 'escalation_level', type: 'integer' }) escalationLevel: number;
  @Column({ name: 'no_reply', type: 'boolean' }) noReply: boolean;
  @Column({ name: 'under_hq_review', type: 'boolean' }) underHqReview: boolean;
  @Column({ name: 'favourable_to_db', type: 'boolean' }) favourableToDb: boolean;
  @Column({ name: 'wrong_target', type: 'boolean' }) wrongTarget: boolean;
  @Column({ name: 'next_due_at', ...tzNull }) nextDueAt: Date | null;
  @Column({ type: 'jsonb' }) snapshot: unknown;
  @Column({ name: 'updated_at', ...tz }) updatedAt: Date;
}

@Entity({ name: 'case_timeline' })
export class CaseTimelineEntity {
  @PrimaryColumn({ name: 'case_id', type: 'text' }) caseId: string;
  @PrimaryColumn({ type: 'integer' }) seq: number;
  @Column(tz) at: Date;
  @Column({ name: 'from_state', ...textNull }) fromState: string | null;
  @Column({ name: 'to_state', type: 'text' }) toState: string;
  @Column({ type: 'text' }) actor: string;
  @Column({ name: 'source_event_id', ...textNull }) sourceEventId: string | null;
  @Column(textNull) note: string | null;
}

@Entity({ name: 'deadline' })
export class DeadlineEntity {
  @PrimaryColumn({ name: 'deadline_id', type: 'text' }) deadlineId: string;
  @Column({ name: 'case_id', ...textNull }) caseId: string | null;
  @Column({ name: 'waybill_no', type: 'text' }) waybillNo: string;
  @Column({ type: 'text' }) rule: string;
  @Column({ name: 'due_at', ...tz }) dueAt: Date;
  @Column({ type: 'text' }) party: string;
  @Column({ name: 'site_code', ...textNull }) siteCode: string | null;
  @Column({ type: 'text' }) status: string;
  @Column({ name: 'armed_at', ...tz }) armedAt: Date;
  @Column({ name: 'met_at', ...tzNull }) metAt: Date | null;
  @Column({ name: 'missed_at', ...tzNull }) missedAt: Date | null;
  @Column({ name: 'updated_at', ...tz }) updatedAt: Date;
}

@Entity({ name: 'liability_record' })
export class LiabilityRecordEntity {
  @PrimaryColumn({ name: 'record_id', type: 'text' }) recordId: string;
  @Column({ type: 'text' }) kind: string;
  @Column({ name: 'case_id', type: 'text' }) caseId: string;
  @Column({ name: 'deadline_id', ...textNull }) deadlineId: string | null;
  @Column({ type: 'text' }) rule: string;
  @Column({ type: 'text' }) party: string;
  @Column({ name: 'site_code', ...textNull }) siteCode: string | null;
  @Column({ name: 'due_at', ...tzNull }) dueAt: Date | null;
  @Column({ name: 'met_at', ...tzNull }) metAt: Date | null;
  @Column({ name: 'minutes_late', type: 'integer', nullable: true }) minutesLate: number | null;
  @Column({ type: 'jsonb' }) evidence: Record<string, unknown>;
  @Column({ name: 'favourable_to_db', type: 'boolean' }) favourableToDb: boolean;
  @Column({ name: 'refers_to', ...textNull }) refersTo: string | null;
  @Column(textNull) reviewer: string | null;
  @Column({ name: 'review_outcome', ...textNull }) reviewOutcome: string | null;
  @Column(textNull) reason: string | null;
  @Column({ name: 'recorded_at', ...tz }) recordedAt: Date;
}

@Entity({ name: 'notification' })
export class NotificationEntity {
  @PrimaryColumn({ name: 'notification_id', type: 'text' }) notificationId: string;
  @Column({ name: 'case_id', type: 'text' }) caseId: string;
  @Column({ type: 'text' }) kind: string;
  @Column({ type: 'text' }) channel: string;
  @Column({ name: 'target_role', type: 'text' }) targetRole: string;
  @Column({ name: 'target_site', ...textNull }) targetSite: string | null;
  @Column({ ...textNull, select: false }) recipient: string | null;
  @Column({ name: 'recipient_masked', ...textNull }) recipientMasked: string | null;
  @Column({ name: 'template_key', ...textNull }) templateKey: string | null;
  @Column({ type: 'text' }) body: string;
  @Column({ name: 'content_sha256', type: 'text' }) contentSha256: string;
  @Column({ type: 'jsonb' }) vars: Record<string, unknown>;
  @Column({ name: 'event_time', ...tz }) eventTime: Date;
  @Column({ name: 'not_before', ...tzNull }) notBefore: Date | null;
  @Column({ name: 'already_sent', type: 'boolean' }) alreadySent: boolean;
  @Column({ type: 'text' }) status: string;
  @Column({ type: 'integer' }) attempts: number;
  @Column({ name: 'last_error', ...textNull }) lastError: string | null;
  @Column({ name: 'next_attempt_at', ...tz }) nextAttemptAt: Date;
  @Column({ name: 'sent_at', ...tzNull }) sentAt: Date | null;
  @Column({ name: 'provider_ref', ...textNull }) providerRef: string | null;
  @Column({ name: 'created_at', ...tz }) createdAt: Date;
  @Column({ name: 'updated_at', ...tz }) updatedAt: Date;
}

@Entity({ name: 'dlq_record' })
export class DlqRecordEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'text' }) topic: string;
  @Column({ type: 'integer' }) partition: number;
  @Column({ type: 'bigint' }) offset: string;
  @Column({ name: 'message_key', ...textNull }) messageKey: string | null;
  @Column({ type: 'text' }) reason: string;
  @Column(textNull) field: string | null;
  @Column({ name: 'received_at', ...tz }) receivedAt: Date;
}

export const ENTITIES = [
  WaybillStateEntity,
  WaybillJournalEntity,
  ProblemCaseEntity,
  CaseTimelineEntity,
  DeadlineEntity,
  LiabilityRecordEntity,
  NotificationEntity,
  DlqRecordEntity,
  ApiUserEntity,
  ApiTokenEntity,
];
