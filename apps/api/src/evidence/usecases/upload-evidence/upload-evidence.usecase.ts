import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { evidenceMessageSchema, type EvidenceMessage } from '#contracts';
import { CLOCK, POLICY, type Clock } from '#config';
import type { Policy } from '#domain';
import { commandOrigin, type Principal } from '../../../auth/principal.js';
import type { CaseSummary } from '../../../cases/cases.repository.js';
import { parseOrThrow, RequestValidationError } from '../../../http/zod-validation.js';
import { SERVABLE_MEDIA_TYPES, type EvidenceUpload } from '../../evidence-upload.schema.js';
import { EvidenceRepository, type StoredEvidenceRow } from '../../evidence.repository.js';

export interface StoredEvidence {
  evidenceId: string;
  caseId: string;
  kind: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  fileName: string | null;
  uploadedBy: string;
  uploadedAt: string;
  /** The engine command the item was handed over as: the case's timeline shows its effect under this source event id. */
  eventId: string;
  /** true when this exact content was already stored on the case: the existing item is returned, nothing is added. */
  duplicate: boolean;
}

/** The engine command id of a stored item: one per item, so a redelivery is a duplicate for the engine. */
export const evidenceEventId = (evidenceId: string) => `evidence-${evidenceId}`;

/**
 * Stores uploaded evidence (content hash kept, immutable: rules §4) and hands it to the rule engine through the
 * stream, in one transaction: the item and a `courier.evidence.v1` outbox message. Ingest applies the message with
 * the same engine and event-time rules as every other fact, so e.g. the photo a WEIGHT_MISMATCH change waits for
 * makes it APPLIED (rules §5, §7).
 */
@Injectable()
export class UploadEvidenceUseCase {
  constructor(
    private readonly evidence: EvidenceRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(POLICY) private readonly policy: Policy,
  ) {}

  async execute(principal: Principal, found: CaseSummary, body: EvidenceUpload): Promise<StoredEvidence> {
    const content = Buffer.from(body.contentBase64, 'base64');
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (body.sha256 !== undefined && body.sha256.toLowerCase() !== sha256) {
      throw new RequestValidationError([{ field: 'sha256', message: `does not match the content (its SHA-256 is ${sha256})` }]);
    }
    const mediaType = (SERVABLE_MEDIA_TYPES as readonly string[]).includes(body.mediaType ?? '') ? body.mediaType! : 'application/octet-stream';
    const stored = await this.evidence.storeWithMessage(
      {
        evidenceId: randomUUID(),
        caseId: found.caseId,
        kind: body.kind,
        sha256,
        content,
        mediaType,
        fileName: body.fileName ?? null,
        note: body.note ?? null,
        uploadedBy: { userId: principal.userId, name: principal.name, siteCode: principal.siteCode },
        uploadedAt: this.clock.now(),
      },
      (row) => this.message(principal, found, body, row),
    );
    if (stored) return toStored(stored, false);
    const existing = await this.evidence.findByContent(found.caseId, sha256);
    if (!existing) throw new Error(`evidence ${sha256} on ${found.caseId}: neither stored nor found`);
    return toStored(existing, true);
  }

  /** The engine's view of the item, validated with the topic's contract (ingest would send anything else to the DLQ). */
  private message(principal: Principal, found: CaseSummary, body: EvidenceUpload, row: StoredEvidenceRow): EvidenceMessage {
    return parseOrThrow(evidenceMessageSchema, {
      schemaVersion: 1,
      kind: 'evidenceAttached',
      eventId: evidenceEventId(row.evidenceId),
      waybillNo: found.waybillNo,
      caseId: found.caseId,
      occurredAt: DateTime.fromJSDate(row.uploadedAt).setZone(this.policy.timeZone).toISO({ includeOffset: true }),
      evidenceId: row.evidenceId,
      evidenceKind: row.kind,
      uri: `/api/cases/${found.caseNo}/evidence/${row.evidenceId}`,
      sha256: row.sha256,
      attachedBy: principal.name,
      site: commandOrigin(principal).siteCode,
      ...(body.letter ? { letter: body.letter } : {}),
      ...(body.authorisedBy ? { authorisedBy: body.authorisedBy } : {}),
    });
  }
}

function toStored(row: StoredEvidenceRow, duplicate: boolean): StoredEvidence {
  return { ...row, uploadedAt: row.uploadedAt.toISOString(), eventId: evidenceEventId(row.evidenceId), duplicate };
}
