import { alertFromCaseMessage, alertFromNotificationMessage, CaseStateMemory } from './alerts.js';

const at = new Date('2026-11-23T10:00:00Z');
const caseEvent = (type: string, state: string, extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  type,
  caseId: 'WB1-FAILED_DELIVERY-1',
  caseNo: 'PI-202611-0000001',
  waybillNo: 'WB00000001',
  caseClass: 'FAILED_DELIVERY',
  reasonCode: 'NOBODY_HOME',
  state,
  originBranch: 'SHB002',
  deliveringBranch: 'SHB001',
  reportedBySite: 'SHB001',
  openedAt: '2026-11-23T01:00:00.000Z',
  ...extra,
});

describe('alerts from courier.case.v1', () => {
  it('raises "new case" for either spelling of the type, scoped to OB, DB and registering site', () => {
    for (const type of ['OPENED', 'CASE_OPENED']) {
      const alert = alertFromCaseMessage('t/0/1', caseEvent(type, 'OPEN'), new CaseStateMemory(), at);
      expect(alert).toMatchObject({ type: 'case.opened', at: '2026-11-23T01:00:00.000Z', sites: ['SHB002', 'SHB001'] });
    }
  });

  it('raises "overdue" naming the rule of the deadline', () => {
    const alert = alertFromCaseMessage('t/0/2', caseEvent('CASE_OVERDUE', 'NOTIFIED', { deadline: { rule: 'D4', dueAt: '2026-11-23T15:59:59.999Z', party: 'DB' } }), new CaseStateMemory(), at);
    expect(alert).toMatchObject({ type: 'case.overdue', at: '2026-11-23T15:59:59.999Z' });
    expect(alert!.message).toContain('(D4)');
  });

  it('raises "reply received" once, on the change into INSTRUCTED', () => {
    const memory = new CaseStateMemory();
    const types = ['AWAITING_REPLY', 'INSTRUCTED', 'INSTRUCTED', 'IN_ACTION'].map(
      (state, i) => alertFromCaseMessage(`t/0/${i}`, caseEvent('CHANGED', state), memory, at)?.type ?? null,
    );
    expect(types).toEqual([null, 'case.reply', null, null]);
    expect(alertFromCaseMessage('t/0/9', caseEvent('CASE_CHANGED', 'INSTRUCTED', { previousState: 'INSTRUCTED' }), new CaseStateMemory(), at)).toBeNull();
  });

  it('raises "reply received" on a jump from awaiting the reply straight into IN_ACTION, but not for complaints or NO_REPLY', () => {
    const run = (states: string[], extra: Record<string, unknown> = {}) => {
      const memory = new CaseStateMemory();
      return states.map((state, i) => alertFromCaseMessage(`t/1/${i}`, caseEvent('CHANGED', state, extra), memory, at)?.type ?? null);
    };
    // e.g. APPLY_PAYMENT_CHANGE with the photo already there: the change is APPLIED at the reply.
    expect(run(['AWAITING_REPLY', 'IN_ACTION', 'IN_ACTION'])).toEqual([null, 'case.reply', null]);
    expect(run(['AWAITING_REPLY', 'IN_ACTION'], { caseClass: 'COMPLAINT' })).toEqual([null, null]);
    expect(run(['AWAITING_REPLY', 'IN_ACTION'], { flags: { overdue: [], noReply: true } })).toEqual([null, null]);
    // Nothing remembered (the API restarted): an IN_ACTION case is not announced as a new reply.
    expect(run(['IN_ACTION'])).toEqual([null]);
  });

  it('ignores messages it cannot read', () => {
    expect(alertFromCaseMessage('t/0/1', { type: 'OPENED' }, new CaseStateMemory(), at)).toBeNull();
  });

  it('forgets the oldest cases beyond its capacity', () => {
    const memory = new CaseStateMemory(2);
    memory.swap('a', 'OPEN');
    memory.swap('b', 'OPEN');
    memory.swap('c', 'OPEN');
    expect(memory.swap('a', 'NOTIFIED')).toBeUndefined();
    expect(memory.swap('c', 'NOTIFIED')).toBe('OPEN');
  });
});

describe('alerts from courier.notification.v1', () => {
  const notification = (channel: string, targetSite: string | null, body: string) => ({
    notificationId: 'n1',
    caseId: 'WB1-FAILED_DELIVERY-1',
    caseNo: 'PI-202611-0000001',
    waybillNo: 'WB00000001',
    kind: 'SITE_ALERT',
    channel,
    targetRole: 'DB',
    targetSite,
    body,
    eventTime: '2026-11-23T01:00:00.000Z',
    status: 'SENT',
  });

  it('turns a staff alert to a site into that site’s alert, personal data masked', () => {
    const alert = alertFromNotificationMessage('n/0/1', notification('BRANCH_ALERT', 'SHB001', 'call 13812345678'), at);
    expect(alert).toMatchObject({ type: 'site.alert', sites: ['SHB001'] });
    expect(alert!.message).toContain('138****5678');
    expect(alert!.message).not.toContain('13812345678');
  });

  it('never turns a customer SMS into a staff alert', () => {
    expect(alertFromNotificationMessage('n/0/2', notification('SMS', null, '王先生您好'), at)).toBeNull();
  });
});
