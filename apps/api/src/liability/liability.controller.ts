import { Body, ConflictException, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { CommandPublisher, type AcceptedCommand } from '../commands/command-publisher.js';
import { ApiCaseScoped, ApiZodBody } from '../http/openapi.js';
import { ZodPipe } from '../http/zod-validation.js';
import {
  hqReviewBodySchema,
  hqReviewRequestBodySchema,
  type HqReviewBody,
  type HqReviewRequestBody,
} from './hq-review.contract.js';

interface ReviewableRecord {
  record_id: string;
  kind: string;
  case_id: string;
  waybill_no: string;
  retracted: boolean;
}

const RECORD_PARAM = { name: 'recordId', description: 'a liability record id (kind RECORD), as in the case detail' };

/**
 * HQ review of liability (总部复核, rules §4): final; uphold, reassign or cancel, recorded as a new record pointing
 * at the reviewed one. The command goes to `courier.hq-review.v1` for the ingest service to apply with the engine.
 */
@ApiTags('liability')
@ApiBearerAuth()
@Controller('api/liabilities/:recordId')
export class LiabilityController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: CommandPublisher,
  ) {}

  @Post('review-request')
  @HttpCode(202)
  @Roles('HQ')
  @ApiOperation({ summary: 'Put a liability record under HQ review (flag UNDER_HQ_REVIEW until the review decides it)' })
  @ApiParam(RECORD_PARAM)
  @ApiZodBody(hqReviewRequestBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'the record was retracted (a late event showed the deadline met)' })
  @ApiAcceptedResponse({ description: 'queued on courier.hq-review.v1 under `eventId`' })
  async requestReview(
    @CurrentUser() principal: Principal,
    @Param('recordId') recordId: string,
    @Body(new ZodPipe(hqReviewRequestBodySchema)) body: HqReviewRequestBody,
  ): Promise<AcceptedCommand> {
    const record = await this.reviewable(recordId);
    return this.publisher.publish('hqReview', {
      schemaVersion: 1,
      ...this.publisher.stamp(),
      kind: 'hqReviewOpened',
      waybillNo: record.waybill_no,
      caseId: record.case_id,
      liabilityId: record.record_id,
      requestedBy: principal.name,
      reason: body.reason,
    });
  }

  @Post('review')
  @HttpCode(202)
  @Roles('HQ')
  @ApiOperation({ summary: 'Decide a liability record: UPHOLD, REASSIGN (to another party and site) or CANCEL' })
  @ApiParam(RECORD_PARAM)
  @ApiZodBody(hqReviewBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'the record was retracted (a late event showed the deadline met)' })
  @ApiAcceptedResponse({ description: 'queued on courier.hq-review.v1 under `eventId` (also the review id)' })
  async review(
    @CurrentUser() principal: Principal,
    @Param('recordId') recordId: string,
    @Body(new ZodPipe(hqReviewBodySchema)) body: HqReviewBody,
  ): Promise<AcceptedCommand> {
    const record = await this.reviewable(recordId);
    return this.publisher.publish('hqReview', {
      schemaVersion: 1,
      ...this.publisher.stamp(),
      kind: 'hqReview',
      waybillNo: record.waybill_no,
      caseId: record.case_id,
      liabilityId: record.record_id,
      outcome: body.outcome,
      ...(body.reassignTo ? { reassignTo: body.reassignTo } : {}),
      reviewer: principal.name,
      reason: body.reason,
    });
  }

  /** An original liability record (not a retraction or a review) still in force. HQ sees every case. */
  private async reviewable(recordId: string): Promise<ReviewableRecord> {
    const rows: ReviewableRecord[] =
      recordId.length <= 256
        ? await this.dataSource.query(
            `SELECT r.record_id, r.kind, r.case_id, c.waybill_no,
                    EXISTS (SELECT 1 FROM liability_record x WHERE x.refers_to = r.record_id AND x.kind = 'RETRACTION') AS retracted
               FROM liability_record r JOIN problem_case c ON c.case_id = r.case_id
              WHERE r.record_id = $1`,
            [recordId],
          )
        : [];
    const record = rows[0];
    if (!record) throw new NotFoundException(`liability record ${recordId.slice(0, 64)} not found`);
    if (record.kind !== 'RECORD') {
      throw new ConflictException(`${record.record_id} is a ${record.kind}; review the original RECORD it refers to`);
    }
    if (record.retracted) throw new ConflictException(`${record.record_id} was retracted: there is nothing to review`);
    return record;
  }
}
