import { DB, Driver, failed, OB, pickup, registration, reply, scan, SHA, u } from './testing/harness.js';

const validLetter = { signedBy: '李娜', stamped: true, verifiedWithSenderBy: '客服 小王', evidenceSha256: SHA('b') };

function codChange(letter: Record<string, unknown> | undefined) {
  const d = new Driver();
  d.feed(pickup('11-23 06:00', { cod: { amount: 200, method: 'CASH' } }));
  d.feed(registration('11-23 10:00', OB, 'COD_AMOUNT_CHANGED', { codChange: { newAmount: 150, ...(letter ? { letter } : {}) } }));
  return d;
}

describe('§5 handling', () => {
  describe('COD change: the confirmation letter gate', () => {
    it('with a valid letter and the OB’s APPLY_COD_CHANGE reply it is APPLIED and branch finance is told', () => {
      const d = codChange(validLetter);
      expect(d.data('COD_CHANGE').change).toEqual({ status: 'REQUESTED', appliedAt: null, blockedBy: ['OB_APPLY_COD_CHANGE'] });
      d.feed(reply('11-23 11:00', 'COD_CHANGE', 'APPLY_COD_CHANGE'));
      expect(d.data('COD_CHANGE').change).toEqual({ status: 'APPLIED', appliedAt: u('11-23 11:00'), blockedBy: [] });
      expect(d.notifications('FINANCE')).toEqual([expect.objectContaining({ targetSite: DB, recipient: 'fin.db@example.com', eventTime: u('11-23 11:00') })]);
      expect(d.case('COD_CHANGE').state).toBe('IN_ACTION');
    });

    it.each([
      ['no letter', undefined],
      ['an unstamped letter', { ...validLetter, stamped: false }],
      ['a letter nobody verified with the sender', { ...validLetter, verifiedWithSenderBy: undefined }],
      ['a letter without its evidence hash', { ...validLetter, evidenceSha256: undefined }],
    ])('with %s the change stays REQUESTED even after the reply, and finance hears nothing', (_name, letter) => {
      const d = codChange(letter);
      d.feed(reply('11-23 11:00', 'COD_CHANGE', 'APPLY_COD_CHANGE'));
      expect(d.data('COD_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['CONFIRMATION_LETTER'] });
      expect(d.notifications('FINANCE')).toEqual([]);
    });

    it('a letter supplied later (a new registration: evidence is never edited) releases the gate', () => {
      const d = codChange(undefined);
      d.feed(reply('11-23 11:00', 'COD_CHANGE', 'APPLY_COD_CHANGE'));
      d.feed(registration('11-23 14:00', OB, 'COD_AMOUNT_CHANGED', { codChange: { newAmount: 150, letter: validLetter } }));
      expect(d.data('COD_CHANGE').change).toMatchObject({ status: 'APPLIED', appliedAt: u('11-23 14:00') });
    });

    it('the DB is told on registration; an APPLY_COD_CHANGE on another class is rejected', () => {
      const d = codChange(validLetter);
      expect(d.notifications('COD_CHANGE')).toEqual([expect.objectContaining({ targetSite: DB })]);
      d.feed(failed('11-23 12:00', 1));
      expect(d.feed(reply('11-23 13:00', 'FAILED_DELIVERY', 'APPLY_COD_CHANGE'))).toEqual([
        { type: 'Rejected', reason: expect.stringContaining('APPLY_COD_CHANGE does not apply to a FAILED_DELIVERY case') },
      ]);
    });
  });

  describe('payment changes', () => {
    it('freight changes apply on the OB’s reply alone; the courier and branch finance are told', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00', { freightPayer: 'RECIPIENT' }), scan('OUT_FOR_DELIVERY', '11-23 09:00', DB, { courierId: 'c7', courierPhone: '13700007777' }));
      d.feed(registration('11-23 10:00', DB, 'FREIGHT_COLLECT_TO_PREPAID', { paymentChange: { newFreightPayer: 'SENDER' } }), reply('11-23 10:30', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
      expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'APPLIED' });
      expect(d.notifications('COURIER')).toEqual([expect.objectContaining({ recipient: '13700007777', vars: expect.objectContaining({ courierId: 'c7' }) })]);
      expect(d.notifications('FINANCE')).toHaveLength(1);
    });

    it('WEIGHT_MISMATCH needs a photo of the true weight; reconciliation staff are told', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'WEIGHT_MISMATCH', { paymentChange: { actualWeightKg: 5 } }), reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
      expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['PHOTO_OF_TRUE_WEIGHT'] });
      expect(d.notifications('RECONCILIATION')).toEqual([expect.objectContaining({ recipient: 'rec.db@example.com' })]);
      d.feed(registration('11-23 12:00', DB, 'WEIGHT_MISMATCH', { evidence: [{ kind: 'PHOTO', uri: 's3://w.jpg', sha256: SHA('c') }] }));
      expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'APPLIED', appliedAt: u('11-23 12:00') });
    });

    it('RETURN_RECEIPT_CHANGE needs a change letter and who authorised it', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'RETURN_RECEIPT_CHANGE', { evidence: [{ kind: 'LETTER', uri: 's3://l.pdf', sha256: SHA('d') }] }));
      d.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
      expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['AUTHORISED_BY'] });
      d.feed(registration('11-23 12:00', DB, 'RETURN_RECEIPT_CHANGE', { paymentChange: { authorisedBy: '寄件人 李娜' } }));
      expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'APPLIED' });
      expect(d.notifications('RETURN_RECEIPT_CHANGE').map((n) => n.targetSite)).toEqual([DB, DB]);
    });
  });

  describe('what the case still lacks', () => {
    it('DAMAGE asks for photo evidence, REFUSED for the recipient’s reason, OUT_OF_AREA for the sender’s choice', () => {
      const d = new Driver();
      d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'DAMAGED'), failed('11-23 11:00', 1, 'REFUSED'), registration('11-23 12:00', DB, 'REFUSED'));
      d.feed(registration('11-23 13:00', DB, 'OUT_OF_AREA'));
      expect(d.data('DAMAGE').missing).toEqual(['PHOTO_EVIDENCE']);
      expect(d.data('FAILED_DELIVERY').missing).toEqual(['RECIPIENT_REASON']);
      expect(d.data('WRONG_ROUTING').missing).toEqual(['SENDER_CHOICE']);
      d.feed(reply('11-23 14:00', 'WRONG_ROUTING', 'SELF_PICKUP'));
      expect(d.data('WRONG_ROUTING').missing).toEqual([]);
    });

    it('RECIPIENT_INFO_MISMATCH: with COD the recipient designates by phone, without COD the sender’s data prevails', () => {
      const withCod = new Driver();
      withCod.feed(pickup('11-23 06:00', { cod: { amount: 10, method: 'CASH' } }), failed('11-23 10:00', 1, 'RECIPIENT_INFO_MISMATCH'));
      expect(withCod.data('FAILED_DELIVERY').guidance).toMatch(/recipient designates/);
      const without = new Driver();
      without.feed(pickup('11-23 06:00'), failed('11-23 10:00', 1, 'RECIPIENT_INFO_MISMATCH'));
      expect(without.data('FAILED_DELIVERY').guidance).toMatch(/sender’s data prevails/);
    });
  });

  it.each([
    ['FAILED_DELIVERY', () => [failed('11-23 10:00', 1), registration('11-23 11:00', DB, 'NOBODY_HOME')], 'ONE_MORE_ATTEMPT_THEN_RETURN'],
    ['WRONG_ROUTING', () => [registration('11-23 11:00', DB, 'OUT_OF_AREA')], 'TRANSSHIP_TO_CORRECT_SITE'],
    ['DAMAGE', () => [registration('11-23 11:00', DB, 'DAMAGED')], 'DELIVER_REWRAPPED_ARBITRATION_IF_REFUSED'],
    ['PAYMENT_CHANGE', () => [registration('11-23 11:00', DB, 'FREIGHT_AMOUNT_CHANGED')], 'KEEP_ORIGINAL_TERMS'],
  ])('default procedure when the OB does not reply in 24 h: %s → %s', (caseClass, events, procedure) => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), ...events());
    d.fireUntil('11-24 11:00');
    expect(d.data(caseClass).defaultProcedure).toBe(procedure);
  });
});
