import type { Deadline, Effect, NotificationIntent, ProblemCase } from '#domain';
import type { OutboxEntry } from './outbox.repository.js';
import type { CaseEventType, DeadlineIntent, NotificationIntentMessage } from './intents.js';

// What a decision's effects send on, shared by every writer of decisions (ingest's DecisionRepository, the deadline
// service's JudgementRepository): which cases changed, their courier.case.v1 messages, and the deadline and
// notification intents. Pure: the writers decide how the rows reach PostgreSQL.

const PENDING = 'PENDING';

/** The cases whose row (and case message) a batch of effects changes. */
export function dirtyCaseIds(effects: Effect[]): Set<string> {
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

/** One `courier.case.v1` message per case touched, typed by its most telling change. */
export function caseEvents(cases: ProblemCase[], effects: Effect[]): OutboxEntry[] {
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

export function nextDueAt(c: ProblemCase): string | null {
  let next: string | null = null;
  for (const d of c.deadlines) if (d.status === PENDING && (!next || d.dueAt < next)) next = d.dueAt;
  return next;
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

export function deadlineIntent(deadline: Deadline, waybillNo: string, moved: boolean): OutboxEntry {
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

export function notificationIntent(n: NotificationIntent): OutboxEntry {
  const intent: NotificationIntentMessage = { notificationId: n.id, caseId: n.caseId, kind: n.kind, notBefore: n.notBefore };
  return { topicRole: 'notificationIntent', key: n.caseId, payload: intent };
}
