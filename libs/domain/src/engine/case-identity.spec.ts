import { caseForEventAt, caseIdFor, deadlineIdFor, idToken, notificationIdFor, resolveCaseRef, waybillOfDeadlineId } from './case-identity.js';
import { emptyWaybillState } from './decide.js';
import type { ProblemCase } from './types.js';

const someCase = (n: number, openedAt: string, closedAt: string | null, caseNo: string | null = null) =>
  ({ id: caseIdFor('ZT1', 'WRONG_ROUTING', n), caseClass: 'WRONG_ROUTING', openedAt, closedAt, caseNo }) as ProblemCase;

describe('case identity', () => {
  it('builds deterministic, BullMQ-safe ids', () => {
    expect(caseIdFor('ZT12345678', 'LOSS', 2)).toBe('ZT12345678-LOSS-2');
    expect(deadlineIdFor('ZT12345678-LOSS-2', 'S1')).toBe('ZT12345678-LOSS-2-S1');
    expect(deadlineIdFor('ZT12345678-LOSS-2', 'D2', 'H01')).toBe('ZT12345678-LOSS-2-D2-H01');
    expect(notificationIdFor('C', 'OB_ALERT', 'B01', 3)).toBe('C-OB_ALERT-B01-3');
    expect(waybillOfDeadlineId('ZT12345678-DWELL-v1')).toBe('ZT12345678');
    expect(waybillOfDeadlineId('nodash')).toBe('nodash');
  });

  it('idToken keeps plain short values and digests anything else (no ":")', () => {
    expect(idToken('reply_7')).toBe('reply_7');
    const digest = idToken('urn:event:2026/11/23:ab');
    expect(digest).toMatch(/^[0-9a-f]{12}$/);
    expect(idToken('urn:event:2026/11/23:ab')).toBe(digest);
    expect(idToken('x'.repeat(33))).toMatch(/^[0-9a-f]{12}$/);
  });

  it('an event joins the first case of its class still open at its event time, else none', () => {
    const cases = [someCase(1, 'A', 'C'), someCase(2, 'E', null)];
    expect(caseForEventAt(cases, 'WRONG_ROUTING', 'B')?.id).toBe('ZT1-WRONG_ROUTING-1');
    expect(caseForEventAt(cases, 'WRONG_ROUTING', 'D')?.id).toBe('ZT1-WRONG_ROUTING-2');
    expect(caseForEventAt([someCase(1, 'A', 'C')], 'WRONG_ROUTING', 'D')).toBeNull();
    expect(caseForEventAt(cases, 'LOSS', 'B')).toBeNull();
  });

  it('a case reference resolves by number, or by class at the event time', () => {
    const state = { ...emptyWaybillState('ZT1'), cases: [someCase(1, 'B', 'D', 'PI-202611-0000001'), someCase(2, 'F', null)] };
    expect(resolveCaseRef(state, { caseNo: 'PI-202611-0000001' }, 'Z')?.id).toBe('ZT1-WRONG_ROUTING-1');
    expect(resolveCaseRef(state, { caseNo: 'PI-202611-0000009' }, 'Z')).toBeNull();
    const byClass = (at: string) => resolveCaseRef(state, { waybillNo: 'ZT1', class: 'WRONG_ROUTING' }, at)?.id;
    expect(byClass('C')).toBe('ZT1-WRONG_ROUTING-1'); // open then
    expect(byClass('E')).toBe('ZT1-WRONG_ROUTING-1'); // after it closed, before the next opened
    expect(byClass('G')).toBe('ZT1-WRONG_ROUTING-2');
    expect(byClass('A')).toBe('ZT1-WRONG_ROUTING-1'); // stamped before any case opened
    expect(resolveCaseRef(state, { waybillNo: 'ZT1', class: 'LOSS' }, 'C')).toBeNull();
  });
});
