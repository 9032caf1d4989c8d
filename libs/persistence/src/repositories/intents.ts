/** Internal messages the outbox relays from the decision transaction to the deadline and notifier services. */
export interface DeadlineIntent {
  /** MOVE: the engine moved the due time of a pending deadline (the job must be re-timed, not just deduplicated). */
  op: 'ARM' | 'MOVE' | 'CANCEL';
  deadlineId: string;
  caseId: string | null;
  waybillNo: string;
  rule: string;
  dueAt: string;
}

export interface NotificationIntentMessage {
  notificationId: string;
  caseId: string;
  kind: string;
  notBefore: string | null;
}

export type CaseEventType = 'OPENED' | 'CHANGED' | 'OVERDUE' | 'RESOLVED';
