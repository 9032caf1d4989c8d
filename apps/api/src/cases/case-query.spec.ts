import { caseListQuerySchema, decodeCursor, encodeCursor } from './case-query.js';

describe('case list query', () => {
  it('reads comma-separated lists, flags and numbers from query strings', () => {
    expect(caseListQuerySchema.parse({ class: 'DAMAGE,LOSS,DAMAGE', open: 'true', overdue: 'false', limit: '25' })).toEqual({
      class: ['DAMAGE', 'LOSS'],
      open: true,
      overdue: false,
      limit: 25,
    });
  });

  it.each([
    [{ class: 'DAMAGE,PARCEL' }, 'class'],
    [{ state: '' }, 'state'],
    [{ overdue: 'yes' }, 'overdue'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '201' }, 'limit'],
    [{ site: "A' OR '1'='1" }, 'site'],
    [{ openedFrom: '2026-11-20 09:00' }, 'openedFrom'],
  ])('refuses %j, naming %s', (input, field) => {
    const result = caseListQuerySchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual([field]);
  });

  it('refuses parameters it does not know', () => {
    expect(caseListQuerySchema.safeParse({ sort: 'caseNo' }).success).toBe(false);
  });
});

describe('case cursor', () => {
  it('round-trips a position, with or without a due time', () => {
    for (const cursor of [
      { due: '2026-11-21T07:00:00.123456Z', caseId: 'WB1-DAMAGE-1' },
      { due: null, caseId: 'WB2-LOSS-2' },
    ]) {
      expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    }
  });

  it.each(['', 'not-a-cursor', Buffer.from('{"d":"yesterday","i":"x"}').toString('base64url'), Buffer.from('[1]').toString('base64url')])(
    'returns null for %j',
    (raw) => expect(decodeCursor(raw)).toBeNull(),
  );
});
