import { Body, Controller, Get, NotFoundException, Param, Post, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { CASE_REF_PARAM, requireVisibleCase } from '../cases/cases.controller.js';
import { CasesRepository } from '../cases/cases.repository.js';
import { ApiCaseScoped, ApiZodBody } from '../http/openapi.js';
import { ZodPipe } from '../http/zod-validation.js';
import { evidenceUploadSchema, SERVABLE_MEDIA_TYPES, type EvidenceUpload } from './evidence-upload.schema.js';
import { EvidenceRepository } from './evidence.repository.js';
import { UploadEvidenceUseCase, type StoredEvidence } from './usecases/upload-evidence/upload-evidence.usecase.js';

/**
 * Evidence (photos, letters, SMS logs …) for a case. Stored with its SHA-256 in an append-only table: immutable once
 * stored (rules §4, 涂改无效); a correction is a new item. Each item also reaches the rule engine (§5 gates).
 */
@ApiTags('evidence')
@ApiBearerAuth()
@Controller('api/cases/:caseRef/evidence')
export class EvidenceController {
  constructor(
    private readonly cases: CasesRepository,
    private readonly evidence: EvidenceRepository,
    private readonly upload: UploadEvidenceUseCase,
  ) {}

  @Post()
  @Roles('BRANCH_STAFF', 'HUB_STAFF', 'HQ')
  @ApiOperation({
    summary: 'Upload evidence for a case (content hash stored; immutable)',
    description:
      'The item is stored and, in the same transaction, queued for the rule engine (`courier.evidence.v1`), which ' +
      'applies it at the upload time: a PHOTO is the photo DAMAGE and WEIGHT_MISMATCH need, a LETTER the letter of a ' +
      'return-receipt change (with `authorisedBy`) or of a COD change (with `letter`), so a change the OB already ' +
      'approved becomes APPLIED (rules §5, §7). The case timeline shows it under `eventId`.',
  })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(evidenceUploadSchema)
  @ApiCaseScoped()
  @ApiCreatedResponse({ description: 'stored and queued for the engine' })
  @ApiOkResponse({ description: 'this exact content was already stored on the case: that item (`duplicate: true`)' })
  async store(
    @CurrentUser() principal: Principal,
    @Param('caseRef') caseRef: string,
    @Body(new ZodPipe(evidenceUploadSchema)) body: EvidenceUpload,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<StoredEvidence> {
    const found = await requireVisibleCase(this.cases, principal, caseRef);
    const stored = await this.upload.execute(principal, found, body);
    if (stored.duplicate) response.status(200);
    return stored;
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
    const row = z.uuid().safeParse(evidenceId).success ? await this.evidence.content(found.caseId, evidenceId) : null;
    if (!row) throw new NotFoundException(`evidence ${evidenceId.slice(0, 64)} not found on case ${found.caseNo}`);
    response.setHeader('X-Content-SHA256', row.sha256);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    const fileName = (row.fileName ?? `${row.sha256.slice(0, 12)}`).replace(/[^\w.-]/g, '_');
    return new StreamableFile(row.content, { type: row.mediaType, disposition: `attachment; filename="${fileName}"` });
  }
}
