import { parseEvidenceMessage } from '#contracts';
import { evidenceEngineInput } from '../commands/evidence.js';
import { DB, Driver, OB, pickup, registration, reply, scan, SHA, t, u, WB } from './testing/harness.js';
import type { EvidenceAttachedInput } from './types.js';

let serial = 0;

/** Evidence stored through the staff API for a case of WB, at a local time. */
function stored(caseClass: string, at: string, kind: EvidenceAttachedInput['evidenceKind'], extra: Partial<EvidenceAttachedInput> = {}): EvidenceAttachedInput {
  serial += 1;
  const evidenceId = `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`;
  return {
    kind: 'evidenceAttached',
    eventId: `evidence-${evidenceId}`,
    caseId: `${WB}-${caseClass}-1`,
    evidenceId,
    evidenceKind: kind,
    uri: `api:evidence/${evidenceId}`,
    sha256: SHA(String(serial % 10)),
    attachedBy: '王磊',
    site: DB,
    at: t(at),
    ...extra,
  };
}

function weightMismatch(): Driver {
  const d = new Driver();
  d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'WEIGHT_MISMATCH', { paymentChange: { actualWeightKg: 5 } }));
  return d;
}

describe('§5 gates: evidence stored through the staff API (evidenceAttached)', () => {
  it('WEIGHT_MISMATCH: the OB replied APPLY_PAYMENT_CHANGE; the uploaded photo makes it APPLIED, with a timeline entry', () => {
    const d = weightMismatch();
    d.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
    expect(d.data('PAYMENT_CHANGE').change).toEqual({ status: 'REQUESTED', appliedAt: null, blockedBy: ['PHOTO_OF_TRUE_WEIGHT'] });
    expect(d.case('PAYMENT_CHANGE').state).toBe('INSTRUCTED');

    const photo = stored('PAYMENT_CHANGE', '11-23 12:00', 'PHOTO');
    const effects = d.input(photo);
    expect(d.data('PAYMENT_CHANGE').change).toEqual({ status: 'APPLIED', appliedAt: u('11-23 12:00'), blockedBy: [] });
    expect(d.case('PAYMENT_CHANGE').state).toBe('IN_ACTION');
    expect(effects).toContainEqual({ type: 'CaseChanged', caseId: `${WB}-PAYMENT_CHANGE-1`, from: 'INSTRUCTED', to: 'IN_ACTION' });
    const fromUpload = d.case('PAYMENT_CHANGE').timeline.filter((entry) => entry.sourceEventId === photo.eventId);
    expect(fromUpload).toEqual([
      { at: u('11-23 12:00'), from: 'INSTRUCTED', to: 'INSTRUCTED', actor: '王磊', sourceEventId: photo.eventId, note: `evidence PHOTO ${photo.sha256.slice(0, 12)}… stored by 王磊@${DB}` },
      { at: u('11-23 12:00'), from: 'INSTRUCTED', to: 'IN_ACTION', actor: '王磊', sourceEventId: photo.eventId },
    ]);
    expect(d.data('PAYMENT_CHANGE').attachedEvidence).toEqual([expect.objectContaining({ evidenceId: photo.evidenceId, kind: 'PHOTO', sha256: photo.sha256, at: u('11-23 12:00') })]);
  });

  it('a photo stored before the reply: APPLIED at the reply, whichever of the two the engine gets first', () => {
    const photo = stored('PAYMENT_CHANGE', '11-23 10:30', 'PHOTO');
    const replyFirst = weightMismatch();
    replyFirst.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
    replyFirst.input(photo);
    const photoFirst = weightMismatch();
    photoFirst.input(photo);
    expect(photoFirst.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['OB_APPLY_PAYMENT_CHANGE'] });
    photoFirst.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
    for (const d of [replyFirst, photoFirst]) {
      expect(d.data('PAYMENT_CHANGE').change).toEqual({ status: 'APPLIED', appliedAt: u('11-23 11:00'), blockedBy: [] });
      expect(d.case('PAYMENT_CHANGE').state).toBe('IN_ACTION');
    }
  });

  it('a letter is no photo: WEIGHT_MISMATCH stays REQUESTED', () => {
    const d = weightMismatch();
    d.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
    d.input(stored('PAYMENT_CHANGE', '11-23 12:00', 'LETTER'));
    expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['PHOTO_OF_TRUE_WEIGHT'] });
  });

  it('DAMAGE: an uploaded photo is the photo evidence the case lacked', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'DAMAGED'));
    expect(d.data('DAMAGE').missing).toContain('PHOTO_EVIDENCE');
    d.input(stored('DAMAGE', '11-23 10:20', 'SMS_LOG'));
    expect(d.data('DAMAGE').missing).toContain('PHOTO_EVIDENCE');
    d.input(stored('DAMAGE', '11-23 10:30', 'PHOTO'));
    expect(d.data('DAMAGE').missing).not.toContain('PHOTO_EVIDENCE');
  });

  it('RETURN_RECEIPT_CHANGE: a stored letter counts, and says who authorised the change when given', () => {
    const d = new Driver();
    d.feed(pickup('11-23 06:00'), registration('11-23 10:00', DB, 'RETURN_RECEIPT_CHANGE'), reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
    expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['CHANGE_CONFIRMATION_LETTER', 'AUTHORISED_BY'] });
    d.input(stored('PAYMENT_CHANGE', '11-23 12:00', 'LETTER'));
    expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['AUTHORISED_BY'] });
    d.input(stored('PAYMENT_CHANGE', '11-23 13:00', 'LETTER', { authorisedBy: '寄件人 李娜' }));
    expect(d.data('PAYMENT_CHANGE').change).toEqual({ status: 'APPLIED', appliedAt: u('11-23 13:00'), blockedBy: [] });
  });

  describe('COD_CHANGE: a stored letter is the confirmation letter only with its details', () => {
    function cod(): Driver {
      const d = new Driver();
      d.feed(pickup('11-23 06:00', { cod: { amount: 200, method: 'CASH' } }));
      d.feed(registration('11-23 10:00', OB, 'COD_AMOUNT_CHANGED', { codChange: { newAmount: 150 } }), reply('11-23 11:00', 'COD_CHANGE', 'APPLY_COD_CHANGE'));
      return d;
    }
    const details = { signedBy: '李娜', stamped: true, verifiedWithSenderBy: '客服 小王' };

    it('signed, stamped and verified with the sender: APPLIED, and branch finance is told', () => {
      const d = cod();
      d.input(stored('COD_CHANGE', '11-23 12:00', 'LETTER', { letter: details }));
      expect(d.data('COD_CHANGE').change).toEqual({ status: 'APPLIED', appliedAt: u('11-23 12:00'), blockedBy: [] });
      expect(d.notifications('FINANCE')).toEqual([expect.objectContaining({ targetSite: DB, eventTime: u('11-23 12:00') })]);
    });

    it.each([
      ['without its details', {}],
      ['unstamped', { letter: { ...details, stamped: false } }],
      ['as a photo', { evidenceKind: 'PHOTO' as const, letter: details }],
    ])('%s: stays REQUESTED (never APPLIED without a valid letter)', (_name, extra) => {
      const d = cod();
      d.input(stored('COD_CHANGE', '11-23 12:00', 'LETTER', extra));
      expect(d.data('COD_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['CONFIRMATION_LETTER'] });
      expect(d.notifications('FINANCE')).toEqual([]);
    });
  });

  it('evidence stamped after the case closed is kept on record but changes nothing', () => {
    const d = weightMismatch();
    d.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'), scan('SIGNED', '11-23 13:00', DB, { signer: '本人' }));
    expect(d.case('PAYMENT_CHANGE').state).toBe('CLOSED');
    const late = stored('PAYMENT_CHANGE', '11-23 14:00', 'PHOTO');
    d.input(late);
    expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'REQUESTED', blockedBy: ['PHOTO_OF_TRUE_WEIGHT'] });
    expect(d.case('PAYMENT_CHANGE').state).toBe('CLOSED');
    expect(d.data('PAYMENT_CHANGE').attachedEvidence).toHaveLength(1);
    expect(d.case('PAYMENT_CHANGE').timeline.at(-1)).toMatchObject({ sourceEventId: late.eventId, from: 'CLOSED', to: 'CLOSED' });
  });

  it('a photo taken before the closing but processed after it still counts at its own time', () => {
    const d = weightMismatch();
    d.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'), scan('SIGNED', '11-23 13:00', DB, { signer: '本人' }));
    d.input(stored('PAYMENT_CHANGE', '11-23 12:00', 'PHOTO'));
    expect(d.data('PAYMENT_CHANGE').change).toEqual({ status: 'APPLIED', appliedAt: u('11-23 12:00'), blockedBy: [] });
  });

  it('a redelivered item is ignored (same state object); one for an unknown case is rejected', () => {
    const d = weightMismatch();
    const photo = stored('PAYMENT_CHANGE', '11-23 12:00', 'PHOTO');
    d.input(photo);
    const before = d.state;
    expect(d.input(photo)).toEqual([{ type: 'Ignored', reason: `evidence ${photo.evidenceId} already recorded` }]);
    expect(d.input({ ...photo, eventId: 'evidence-other-id' })).toEqual([{ type: 'Ignored', reason: `evidence ${photo.evidenceId} already recorded` }]);
    expect(d.state).toBe(before);
    expect(d.input(stored('DAMAGE', '11-23 12:00', 'PHOTO'))).toEqual([{ type: 'Rejected', reason: expect.stringContaining(`no case ${WB}-DAMAGE-1`) }]);
  });

  it('comes from a courier.evidence.v1 message through the contract', () => {
    const evidenceId = '3f6c2a1e-9b7d-4c55-8e21-0a1b2c3d4e5f';
    const value = {
      schemaVersion: 1,
      kind: 'evidenceAttached',
      eventId: `evidence-${evidenceId}`,
      waybillNo: WB,
      caseId: `${WB}-PAYMENT_CHANGE-1`,
      occurredAt: t('11-23 12:00'),
      evidenceId,
      evidenceKind: 'PHOTO',
      uri: `api:evidence/${evidenceId}`,
      sha256: 'AB'.repeat(32),
      attachedBy: '王磊',
      site: DB,
    };
    const parsed = parseEvidenceMessage({ key: WB, value: JSON.stringify(value), now: t('11-23 12:00') });
    if (!parsed.ok) throw new Error(parsed.reason);
    const d = weightMismatch();
    d.feed(reply('11-23 11:00', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE'));
    d.input(evidenceEngineInput(parsed.message));
    expect(d.data('PAYMENT_CHANGE').change).toMatchObject({ status: 'APPLIED', appliedAt: u('11-23 12:00') });
    expect(d.data('PAYMENT_CHANGE').attachedEvidence![0]!.sha256).toBe('ab'.repeat(32));

    const bad = parseEvidenceMessage({ key: WB, value: JSON.stringify({ ...value, sha256: 'nope' }), now: t('11-23 12:00') });
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(/^sha256: must be a SHA-256/), field: 'sha256' });
    const wrongKey = parseEvidenceMessage({ key: 'ZT2026000099', value: JSON.stringify(value), now: t('11-23 12:00') });
    expect(wrongKey).toMatchObject({ ok: false, field: 'key' });
  });
});
