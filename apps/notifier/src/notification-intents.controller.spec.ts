import { notificationIdOf } from './notification-intents.controller.js';
import { forEachConcurrently } from './notification-sweeper.js';

describe('notificationIdOf', () => {
  it('reads the id of an intent and refuses what is not one', () => {
    expect(notificationIdOf(Buffer.from(JSON.stringify({ notificationId: 'n-1', caseId: 'c', kind: 'OB_ALERT', notBefore: null })))).toBe('n-1');
    expect(notificationIdOf(Buffer.from('{not json'))).toBeNull();
    expect(notificationIdOf(Buffer.from('{"notificationId":""}'))).toBeNull();
    expect(notificationIdOf(null)).toBeNull();
  });
});

describe('forEachConcurrently', () => {
  it('runs every id with at most `concurrency` in flight, and reports failures without stopping', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: string[] = [];
    const failed: string[] = [];
    await forEachConcurrently(
      ['a', 'b', 'c', 'd', 'e'],
      2,
      async (id) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        if (id === 'c') throw new Error('boom');
        done.push(id);
      },
      (id) => failed.push(id),
    );
    expect(peak).toBe(2);
    expect(done.sort()).toEqual(['a', 'b', 'd', 'e']);
    expect(failed).toEqual(['c']);
  });
});
