import fc from 'fast-check';
import { TimerQueue } from './timer-queue.js';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 0, minute)).toISOString();
const ms = (minute: number) => Date.UTC(2026, 10, 23, 0, minute);

function drain(queue: TimerQueue, limitMinute: number, inclusive = true): string[] {
  const ids: string[] = [];
  for (let t = queue.popDueBy(ms(limitMinute), inclusive); t; t = queue.popDueBy(ms(limitMinute), inclusive)) ids.push(t.deadlineId);
  return ids;
}

describe('TimerQueue', () => {
  it('pops in due order, ties in arming order, only up to the limit', () => {
    const queue = new TimerQueue();
    queue.arm({ waybillNo: 'W1', deadlineId: 'c', caseId: null, dueAt: at(30) });
    queue.arm({ waybillNo: 'W1', deadlineId: 'a', caseId: null, dueAt: at(10) });
    queue.arm({ waybillNo: 'W2', deadlineId: 'b2', caseId: null, dueAt: at(20) });
    queue.arm({ waybillNo: 'W1', deadlineId: 'b1', caseId: null, dueAt: at(20) });
    expect(drain(queue, 20)).toEqual(['a', 'b2', 'b1']);
    expect(queue.size).toBe(1);
    expect(queue.peek()?.deadlineId).toBe('c');
  });

  it('leaves a timer due exactly at the limit when the limit is exclusive', () => {
    const queue = new TimerQueue();
    queue.arm({ waybillNo: 'W1', deadlineId: 'a', caseId: null, dueAt: at(10) });
    expect(drain(queue, 10, false)).toEqual([]);
    expect(drain(queue, 10, true)).toEqual(['a']);
  });

  it('re-arms a moved timer and forgets a cancelled one', () => {
    const queue = new TimerQueue();
    queue.arm({ waybillNo: 'W1', deadlineId: 'moved', caseId: 'C1', dueAt: at(10) });
    queue.arm({ waybillNo: 'W1', deadlineId: 'cancelled', caseId: 'C1', dueAt: at(15) });
    queue.arm({ waybillNo: 'W1', deadlineId: 'moved', caseId: 'C1', dueAt: at(40) });
    queue.cancel('W1', 'cancelled');
    queue.cancel('W1', 'never-armed');
    expect(queue.size).toBe(1);
    expect(drain(queue, 30)).toEqual([]);
    expect(queue.popDueBy(ms(40), true)).toEqual({ waybillNo: 'W1', deadlineId: 'moved', caseId: 'C1', dueAt: at(40) });
    expect(queue.size).toBe(0);
  });

  it('keeps equal deadline ids of different waybills apart', () => {
    const queue = new TimerQueue();
    queue.arm({ waybillNo: 'W1', deadlineId: 'DWELL', caseId: null, dueAt: at(10) });
    queue.arm({ waybillNo: 'W2', deadlineId: 'DWELL', caseId: null, dueAt: at(20) });
    queue.cancel('W1', 'DWELL');
    expect(queue.popDueBy(ms(60), true)?.waybillNo).toBe('W2');
  });

  it('rejects an unparsable due time', () => {
    expect(() => new TimerQueue().arm({ waybillNo: 'W1', deadlineId: 'x', caseId: null, dueAt: 'soon' })).toThrow(RangeError);
  });

  it('behaves like a sorted list under any sequence of arm / cancel / pop (property)', () => {
    type Op = { op: 'arm'; id: number; minute: number } | { op: 'cancel'; id: number } | { op: 'pop'; minute: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('arm' as const), id: fc.integer({ min: 0, max: 9 }), minute: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ op: fc.constant('cancel' as const), id: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ op: fc.constant('pop' as const), minute: fc.integer({ min: 0, max: 100 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const queue = new TimerQueue();
        let model: { id: string; minute: number; seq: number }[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op.op === 'arm') {
            model = model.filter((t) => t.id !== `t${op.id}`);
            model.push({ id: `t${op.id}`, minute: op.minute, seq: seq++ });
            queue.arm({ waybillNo: 'W', deadlineId: `t${op.id}`, caseId: null, dueAt: at(op.minute) });
          } else if (op.op === 'cancel') {
            model = model.filter((t) => t.id !== `t${op.id}`);
            queue.cancel('W', `t${op.id}`);
          } else {
            const expected = model
              .filter((t) => t.minute <= op.minute)
              .sort((x, y) => x.minute - y.minute || x.seq - y.seq)
              .map((t) => t.id);
            model = model.filter((t) => t.minute > op.minute);
            expect(drain(queue, op.minute)).toEqual(expected);
          }
          expect(queue.size).toBe(model.length);
        }
      }),
    );
  });
});
