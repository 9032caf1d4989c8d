/**
 * Evidence in the §5 gates (rules §4, §5, §7). Evidence reaches a case two ways: listed by a registration
 * (`evidence`, `codChange.letter`), or stored afterwards through the staff API (`evidenceAttached`). Both are facts
 * with an event time; a gate holds from the earliest item that satisfies it, so the outcome does not depend on
 * which arrived first. A stored item stamped after the case closed is kept on record (for an HQ review) but opens
 * no gate: the case was settled without it.
 *
 *   photo        DAMAGE (PHOTO_EVIDENCE), WEIGHT_MISMATCH (PHOTO_OF_TRUE_WEIGHT)
 *   letter       RETURN_RECEIPT_CHANGE (CHANGE_CONFIRMATION_LETTER), with AUTHORISED_BY from the registration's
 *                `paymentChange.authorisedBy` or the letter's `authorisedBy`
 *   COD letter   COD_CHANGE (CONFIRMATION_LETTER): signed, stamped and verified with the sender by a named agent;
 *                a stored LETTER counts when it comes with those details (its hash is the letter's evidence)
 */
import { caseData, type AttachedEvidenceFact, type CaseData, type EvidenceItem, type RegistrationFact } from './model.js';
import { utc } from './time.js';
import type { EvidenceAttachedInput, IsoTime, ProblemCase } from './types.js';

export function attachedEvidenceOf(data: CaseData): AttachedEvidenceFact[] {
  return data.attachedEvidence ?? [];
}

/** Stored items that count for the gates: those stamped before the case closed. */
function attachedInForce(c: ProblemCase): AttachedEvidenceFact[] {
  const items = attachedEvidenceOf(caseData(c));
  return c.closedAt === null ? items : items.filter((e) => e.at <= c.closedAt!);
}

function earliest(times: IsoTime[]): IsoTime | null {
  return times.length === 0 ? null : times.reduce((a, b) => (b < a ? b : a));
}

/** When the case first had evidence of this kind (registration or stored item), or null. */
export function evidenceAt(c: ProblemCase, kind: EvidenceItem['kind']): IsoTime | null {
  return earliest([
    ...caseData(c).registrations.filter((r) => r.evidence.some((e) => e.kind === kind)).map((r) => r.at),
    ...attachedInForce(c).filter((e) => e.kind === kind).map((e) => e.at),
  ]);
}

function validCodLetter(registration: RegistrationFact): boolean {
  const letter = registration.codChange?.letter;
  return Boolean(letter?.signedBy && letter.stamped === true && letter.verifiedWithSenderBy && letter.evidenceSha256);
}

/** §5 COD_CHANGE: when a valid confirmation letter was first on record, or null. */
export function codLetterAt(c: ProblemCase): IsoTime | null {
  return earliest([
    ...caseData(c).registrations.filter(validCodLetter).map((r) => r.at),
    ...attachedInForce(c)
      .filter((e) => e.kind === 'LETTER' && e.letter !== null && e.letter.stamped && e.letter.signedBy && e.letter.verifiedWithSenderBy)
      .map((e) => e.at),
  ]);
}

/** §5/§7 RETURN_RECEIPT_CHANGE: when it was first on record who authorised the change, or null. */
export function authorisationAt(c: ProblemCase): IsoTime | null {
  return earliest([
    ...caseData(c).registrations.filter((r) => r.paymentChange?.authorisedBy).map((r) => r.at),
    ...attachedInForce(c).filter((e) => e.authorisedBy).map((e) => e.at),
  ]);
}

/** Whether this evidence item (or this command) is already on one of the waybill's cases: a redelivery. */
export function evidenceAlreadyAttached(cases: readonly ProblemCase[], input: Pick<EvidenceAttachedInput, 'eventId' | 'evidenceId'>): boolean {
  return cases.some((c) => attachedEvidenceOf(caseData(c)).some((e) => e.eventId === input.eventId || e.evidenceId === input.evidenceId));
}

/** Records the item on the case (append-only, like every fact) and returns the timeline note that goes with it. */
export function recordAttachedEvidence(c: ProblemCase, input: EvidenceAttachedInput): string {
  const data = caseData(c);
  const fact: AttachedEvidenceFact = {
    eventId: input.eventId,
    evidenceId: input.evidenceId,
    at: utc(input.at),
    kind: input.evidenceKind,
    uri: input.uri,
    sha256: input.sha256.toLowerCase(),
    attachedBy: input.attachedBy,
    site: input.site,
    letter: input.letter ?? null,
    authorisedBy: input.authorisedBy ?? null,
  };
  data.attachedEvidence = [...attachedEvidenceOf(data), fact];
  const details = [
    input.letter ? `letter signed by ${input.letter.signedBy}${input.letter.stamped ? ', stamped' : ', not stamped'}, verified by ${input.letter.verifiedWithSenderBy}` : null,
    input.authorisedBy ? `authorised by ${input.authorisedBy}` : null,
  ].filter(Boolean);
  return `evidence ${fact.kind} ${fact.sha256.slice(0, 12)}… stored by ${input.attachedBy}@${input.site}${details.length ? ` (${details.join('; ')})` : ''}`;
}
