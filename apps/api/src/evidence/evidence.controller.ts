import { createHash, randomUUID } from 'node:crypto';
import { Body, Controller, Get, NotFoundException, Param, Post, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { CASE_REF_PARAM, requireVisibleCase } from '../cases/cases.controller.js';
import { CasesRepository } from '../cases/cases.repository.js';
import { ApiCaseScoped, ApiZodBody } from '../http/openapi.js';
import { RequestValidationError, ZodPipe } from '../http/zod-validation.js';

/**
 * Media types evidence may be served back as. Anything else is stored and served as application/octet-stream,
 * so an uploaded HTML or SVG file can never run as a page of this origin.
 */
const SERVABLE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'text/plain'] as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const evidenceUploadSchema = z.strictObject({
  kind: z.enum(['PHOTO', 'LETTER', 'SMS_LOG', 'OTHER'], { error: 'must be one of PHOTO, LETTER, SMS_LOG, OTHER' }),
  contentBase64: z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
    .min(1, 'must not be empty')
    .regex(BASE64, 'must be standard base64')
    .describe('the file, base64-encoded (the whole request is limited to 64 KiB)'),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 hex digest')
    .optional()
    .describe('optional: the digest the client computed; the upload is refused when the content does not match'),
  mediaType: z.string().max(100).optional().describe(`one of ${SERVABLE_MEDIA_TYPES.join(', ')}; anything else is kept as application/octet-stream`),
  fileName: z.string().trim().min(1).max(200).optional(),
  note: z.string().max(2000, 'must be at most 2000 characters').optional(),
});
export type EvidenceUpload = z.output<typeof evidenceUploadSchema>;

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
  /** true when this exact content was already stored on the case: the existing item is returned, nothing is added. */
  duplicate: boolean;
}

interface EvidenceRow {
  evidence_id: string;
  case_id: string;
  kind: string;
  sha256: string;
  size_bytes: number;
  media_type: string;
  file_name: string | null;
  uploader_name: string;
  uploaded_at: Date;
}

/**
 * Evidence (photos, letters, SMS logs …) uploaded for a case. Stored with its SHA-256 in an append-only table:
 * immutable once stored (rules §4, 涂改无效); a correction is a new item.
 */
@ApiTags('evidence')
@ApiBearerAuth()
@Controller('api/cases/:caseRef/evidence')
export class EvidenceController {
  constructor(
    private readonly cases: CasesRepository,
    private readonly dataSource: DataSource,
  ) {}

  @Post()
  @Roles('BRANCH_STAFF', 'HUB_STAFF', 'HQ')
  @ApiOperation({ summary: 'Upload evidence for a case (content hash stored; immutable)' })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(evidenceUploadSchema)
  @ApiCaseScoped()
  @ApiCreatedResponse({ description: 'stored' })
  @ApiOkResponse({ description: 'this exact content was already stored on the case: that item (`duplicate: true`)' })
  async upload(
    @CurrentUser() principal: Principal,
    @Param('caseRef') caseRef: string,
    @Body(new ZodPipe(evidenceUploadSchema)) body: EvidenceUpload,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<StoredEvidence> {
    const found = await requireVisibleCase(this.cases, principal, caseRef);
    const content = Buffer.from(body.contentBase64, 'base64');
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (body.sha256 !== undefined && body.sha256.toLowerCase() !== sha256) {
      throw new RequestValidationError([{ field: 'sha256', message: `does not match the content (its SHA-256 is ${sha256})` }]);
    }
    const mediaType = (SERVABLE_MEDIA_TYPES as readonly string[]).includes(body.mediaType ?? '') ? body.mediaType! : 'application/octet-stream';
    const inserted: EvidenceRow[] = await this.dataSource.query(
      `INSERT INTO case_evidence (evidence_id, case_id, kind, sha256, size_bytes, media_type, file_name, note, content,
                                  uploaded_by, uploader_name, uploader_site)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (case_id, sha256) DO NOTHING
       RETURNING evidence_id, case_id, kind, sha256, size_bytes, media_type, file_name, uploader_name, uploaded_at`,
      [
        randomUUID(),
        found.caseId,
        body.kind,
        sha256,
        content.length,
        mediaType,
        body.fileName ?? null,
        body.note ?? null,
        content,
        principal.userId,
        principal.name,
        principal.siteCode,
      ],
    );
    if (inserted[0]) return toStored(inserted[0], false);
    const [existing]: EvidenceRow[] = await this.dataSource.query(
      `SELECT evidence_id, case_id, kind, sha256, size_bytes, media_type, file_name, uploader_name, uploaded_at
         FROM case_evidence WHERE case_id = $1 AND sha256 = $2`,
      [found.caseId, sha256],
    );
    response.status(200);
    return toStored(existing!, true);
  }

  @Get(':evidenceId')
  @ApiOperation({ summary: 'The stored content of an evidence item (served as a download)' })
  @ApiParam(CASE_REF_PARAM)
  @ApiParam({ name: 'evidenceId', format: 'uuid' })
  @ApiProduces('application/octet-stream', ...SERVABLE_MEDIA_TYPES)
  @ApiCaseScoped()
  @ApiOkResponse({ description: 'the bytes; header `X-Content-SHA256` carries the stored digest' })
  async content(
    @CurrentUser() principal: Principal,
    @Param('caseRef') caseRef: string,
    @Param('evidenceId') evidenceId: string,
    @Res({ passthrough: true }) response: { setHeader(name: string, value: string): void },
  ): Promise<StreamableFile> {
    const found = await requireVisibleCase(this.cases, principal, caseRef);
    const rows: { content: Buffer; media_type: string; sha256: string; file_name: string | null }[] = z.uuid().safeParse(evidenceId).success
      ? await this.dataSource.query(
          `SELECT content, media_type, sha256, file_name FROM case_evidence WHERE evidence_id = $1 AND case_id = $2`,
          [evidenceId, found.caseId],
        )
      : [];
    const row = rows[0];
    if (!row) throw new NotFoundException(`evidence ${evidenceId.slice(0, 64)} not found on case ${found.caseNo}`);
    response.setHeader('X-Content-SHA256', row.sha256);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    const fileName = (row.file_name ?? `${row.sha256.slice(0, 12)}`).replace(/[^\w.-]/g, '_');
    return new StreamableFile(row.content, { type: row.media_type, disposition: `attachment; filename="${fileName}"` });
  }
}

function toStored(row: EvidenceRow, duplicate: boolean): StoredEvidence {
  return {
    evidenceId: row.evidence_id,
    caseId: row.case_id,
    kind: row.kind,
    sha256: row.sha256,
    sizeBytes: row.size_bytes,
    mediaType: row.media_type,
    fileName: row.file_name,
    uploadedBy: row.uploader_name,
    uploadedAt: row.uploaded_at.toISOString(),
    duplicate,
  };
}
