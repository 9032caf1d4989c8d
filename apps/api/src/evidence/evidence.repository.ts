import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EvidenceMessage } from '#contracts';
import { OutboxRepository } from '#persistence';

/** A stored evidence item as the API shows it (the content itself is served separately). */
export interface StoredEvidenceRow {
  evidenceId: string;
  caseId: string;
  kind: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  fileName: string | null;
  uploadedBy: string;
  uploadedAt: Date;
}

export interface NewEvidence {
  evidenceId: string;
  caseId: string;
  kind: string;
  sha256: string;
  content: Buffer;
  mediaType: string;
  fileName: string | null;
  note: string | null;
  uploadedBy: { userId: string; name: string; siteCode: string | null };
  uploadedAt: Date;
}

const STORED_COLUMNS = `evidence_id AS "evidenceId", case_id AS "caseId", kind, sha256, size_bytes AS "sizeBytes",
  media_type AS "mediaType", file_name AS "fileName", uploader_name AS "uploadedBy", uploaded_at AS "uploadedAt"`;

/** `case_evidence` (append-only: a trigger refuses UPDATE and DELETE) and the outbox row that tells the engine. */
@Injectable()
export class EvidenceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores the item and, in the same transaction, the `courier.evidence.v1` message for the engine (transactional
   * outbox: the relay of the pipeline publishes it, so a stored item always reaches the engine, exactly once in
   * effect). Returns null when this content is already stored on the case (nothing is written).
   */
  async storeWithMessage(item: NewEvidence, message: (stored: StoredEvidenceRow) => EvidenceMessage): Promise<StoredEvidenceRow | null> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: StoredEvidenceRow[] = await manager.query(
        `INSERT INTO case_evidence (evidence_id, case_id, kind, sha256, size_bytes, media_type, file_name, note, content,
                                    uploaded_by, uploader_name, uploader_site, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (case_id, sha256) DO NOTHING
         RETURNING ${STORED_COLUMNS}`,
        [
          item.evidenceId,
          item.caseId,
          item.kind,
          item.sha256,
          item.content.length,
          item.mediaType,
          item.fileName,
          item.note,
          item.content,
          item.uploadedBy.userId,
          item.uploadedBy.name,
          item.uploadedBy.siteCode,
          item.uploadedAt,
        ],
      );
      const stored = inserted[0];
      if (!stored) return null;
      const payload = message(stored);
      await OutboxRepository.append(manager, [{ topicRole: 'evidence', key: payload.waybillNo, payload }]);
      return stored;
    });
  }

  async findByContent(caseId: string, sha256: string): Promise<StoredEvidenceRow | null> {
    const rows: StoredEvidenceRow[] = await this.dataSource.query(`SELECT ${STORED_COLUMNS} FROM case_evidence WHERE case_id = $1 AND sha256 = $2`, [
      caseId,
      sha256,
    ]);
    return rows[0] ?? null;
  }

  async content(caseId: string, evidenceId: string): Promise<{ content: Buffer; mediaType: string; sha256: string; fileName: string | null } | null> {
    const rows: { content: Buffer; mediaType: string; sha256: string; fileName: string | null }[] = await this.dataSource.query(
      `SELECT content, media_type AS "mediaType", sha256, file_name AS "fileName" FROM case_evidence WHERE evidence_id = $1 AND case_id = $2`,
      [evidenceId, caseId],
    );
    return rows[0] ?? null;
  }
}
