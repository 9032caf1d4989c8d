import * as domain from '../index.js';
import * as engine from './index.js';

describe('engine public API (#domain)', () => {
  it('exports decide and its helpers through #domain', () => {
    for (const name of ['decide', 'emptyWaybillState', 'effectiveLiabilities', 'caseIdFor', 'normaliseMobile', 'DEADLINE_RULES'] as const) {
      expect(typeof (engine as Record<string, unknown>)[name]).not.toBe('undefined');
      expect((domain as Record<string, unknown>)[name]).toBe((engine as Record<string, unknown>)[name]);
    }
  });

  it('re-exports the case classes and states of the wire contract (one source of truth)', () => {
    expect(engine.CASE_CLASSES).toContain('FAILED_DELIVERY');
    expect(engine.CASE_STATES).toEqual(['OPEN', 'NOTIFIED', 'AWAITING_REPLY', 'INSTRUCTED', 'IN_ACTION', 'RESOLVED', 'CLOSED']);
  });

  it('lists the deadline rule families in rules.md order', () => {
    expect(engine.DEADLINE_RULES.map((rule) => rule.family)).toEqual(['D2', 'D3', 'D4 (D8, D9, D10)', 'D5', 'D6/D7', 'D11', 'C1–C3', 'S1']);
  });
});
