import type { EvidenceMessage } from '#contracts';
import type { EvidenceAttachedInput } from '../engine/types.js';

/** The engine input a `courier.evidence.v1` message stands for (`at` in UTC, as the engine keeps times). */
export function evidenceEngineInput(message: EvidenceMessage): EvidenceAttachedInput {
  return {
    kind: 'evidenceAttached',
    eventId: message.eventId,
    caseId: message.caseId,
    evidenceId: message.evidenceId,
    evidenceKind: message.evidenceKind,
    uri: message.uri,
    sha256: message.sha256.toLowerCase(),
    attachedBy: message.attachedBy,
    site: message.site,
    ...(message.letter ? { letter: { ...message.letter } } : {}),
    ...(message.authorisedBy ? { authorisedBy: message.authorisedBy } : {}),
    at: new Date(message.occurredAt).toISOString(),
  };
}
