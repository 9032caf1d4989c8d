import { Body, ConflictException, Controller, ForbiddenException, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { CaseAction } from '#contracts';
import { CurrentUser, Roles } from '../auth/auth.decorators.js';
import { commandOrigin, type Principal } from '../auth/principal.js';
import { CASE_REF_PARAM, requireVisibleCase } from '../cases/cases.controller.js';
import { CasesRepository, type CaseSummary } from '../cases/cases.repository.js';
import { ApiCaseScoped, ApiZodBody } from '../http/openapi.js';
import { ZodPipe } from '../http/zod-validation.js';
import {
  complaintStepBodySchema,
  PHONE_FALLBACK_FIELDS,
  phoneFallbackBodySchema,
  replyBodySchema,
  resolveBodySchema,
  type ComplaintStepBody,
  type PhoneFallbackBody,
  type ReplyBody,
  type ResolveBody,
} from './command-bodies.js';
import { CommandPublisher, type AcceptedCommand } from './command-publisher.js';

const CLOSED_STATES = new Set(['RESOLVED', 'CLOSED']);

const ACCEPTED = {
  description:
    'queued on the input topic under `eventId`; the ingest service applies it through the rule engine (its ' +
    'effect shows in the case timeline with that source event id)',
};

/**
 * Staff commands on a case (events.md: the API accepts the same replies and actions as branch systems). Each is
 * authorised against the case, turned into the input event it stands for and published; see CommandPublisher.
 */
@ApiTags('case commands')
@ApiBearerAuth()
@Controller('api/cases/:caseRef')
export class CaseCommandsController {
  constructor(
    private readonly cases: CasesRepository,
    private readonly publisher: CommandPublisher,
  ) {}

  @Post('reply')
  @HttpCode(202)
  @Roles('BRANCH_STAFF', 'HQ')
  @ApiOperation({
    summary: 'The origin branch’s instruction (courier.reply.v1)',
    description: 'Only staff of the case’s origin branch, or HQ acting for it (rule D5), may reply.',
  })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(replyBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'the case is already resolved or closed' })
  @ApiAcceptedResponse(ACCEPTED)
  async reply(
    @CurrentUser() principal: Principal,
    @Param('caseRef') caseRef: string,
    @Body(new ZodPipe(replyBodySchema)) body: ReplyBody,
  ): Promise<AcceptedCommand> {
    const found = await this.openCase(principal, caseRef);
    if (principal.role === 'BRANCH_STAFF' && principal.siteCode !== found.originBranch) {
      throw new ForbiddenException(`only the origin branch (${found.originBranch ?? 'unknown'}) or HQ may reply on this case`);
    }
    return this.publisher.publish('reply', {
      ...this.common(principal, found),
      caseRef: { caseNo: found.caseNo },
      instruction: body.instruction,
      ...(body.newAddress !== undefined ? { newAddress: body.newAddress } : {}),
      repliedBy: body.repliedBy ?? principal.name,
    });
  }

  @Post('resolve')
  @HttpCode(202)
  @Roles('HQ', 'OPS')
  @ApiOperation({ summary: 'Resolve the case explicitly, with a reason (rules §2.2; courier.action.v1 RESOLVE)' })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(resolveBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'the case is already resolved or closed' })
  @ApiAcceptedResponse(ACCEPTED)
  async resolve(
    @CurrentUser() principal: Principal,
    @Param('caseRef') caseRef: string,
    @Body(new ZodPipe(resolveBodySchema)) body: ResolveBody,
  ): Promise<AcceptedCommand> {
    const found = await this.openCase(principal, caseRef);
    return this.action(principal, found, 'RESOLVE', { note: body.reason }, { note: 'reason' });
  }

  @Post('phone-fallback')
  @HttpCode(202)
  @Roles('BRANCH_STAFF')
  @ApiOperation({
    summary: 'Record a phone notification made while the network or power was out (rule D8)',
    description:
      'A registration by the delivering branch with channel PHONE_FALLBACK (courier.exception.v1). Contact name, ' +
      'phone and call time are all required; the call time counts as the notification time for D4.',
  })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(phoneFallbackBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'the case is already resolved or closed' })
  @ApiAcceptedResponse(ACCEPTED)
  async phoneFallback(
    @CurrentUser() principal: Principal,
    @Param('caseRef') caseRef: string,
    @Body(new ZodPipe(phoneFallbackBodySchema)) body: PhoneFallbackBody,
  ): Promise<AcceptedCommand> {
    const found = await this.openCase(principal, caseRef);
    if (principal.siteCode !== found.deliveringBranch) {
      throw new ForbiddenException(`only the delivering branch (${found.deliveringBranch ?? 'unknown'}) records a phone fallback`);
    }
    return this.publisher.publish(
      'exception',
      {
        ...this.common(principal, found),
        reasonCode: body.reasonCode ?? found.reasonCode,
        channel: 'PHONE_FALLBACK',
        phoneRecord: { contactName: body.contactName, phone: body.phone, calledAt: body.calledAt },
        ...(body.notifyBranch !== undefined ? { notifyBranch: body.notifyBranch } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
      },
      PHONE_FALLBACK_FIELDS,
    );
  }

  @Post('complaint/contact')
  @HttpCode(202)
  @Roles('BRANCH_STAFF', 'HUB_STAFF', 'HQ')
  @ApiOperation({ summary: 'First contact with the complaining customer (rule C1; COMPLAINT_CONTACTED)' })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(complaintStepBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'not a COMPLAINT case, or already resolved or closed' })
  @ApiAcceptedResponse(ACCEPTED)
  contact(@CurrentUser() principal: Principal, @Param('caseRef') caseRef: string, @Body(new ZodPipe(complaintStepBodySchema)) body: ComplaintStepBody) {
    return this.complaintStep(principal, caseRef, 'COMPLAINT_CONTACTED', body);
  }

  @Post('complaint/response')
  @HttpCode(202)
  @Roles('BRANCH_STAFF', 'HUB_STAFF', 'HQ')
  @ApiOperation({ summary: 'First response to the complaint (rule C2; COMPLAINT_RESPONDED)' })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(complaintStepBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'not a COMPLAINT case, or already resolved or closed' })
  @ApiAcceptedResponse(ACCEPTED)
  respond(@CurrentUser() principal: Principal, @Param('caseRef') caseRef: string, @Body(new ZodPipe(complaintStepBodySchema)) body: ComplaintStepBody) {
    return this.complaintStep(principal, caseRef, 'COMPLAINT_RESPONDED', body);
  }

  @Post('complaint/final-answer')
  @HttpCode(202)
  @Roles('BRANCH_STAFF', 'HUB_STAFF', 'HQ')
  @ApiOperation({ summary: 'Final answer to the complaint (rule C3; COMPLAINT_ANSWERED)' })
  @ApiParam(CASE_REF_PARAM)
  @ApiZodBody(complaintStepBodySchema)
  @ApiCaseScoped()
  @ApiConflictResponse({ description: 'not a COMPLAINT case, or already resolved or closed' })
  @ApiAcceptedResponse(ACCEPTED)
  answer(@CurrentUser() principal: Principal, @Param('caseRef') caseRef: string, @Body(new ZodPipe(complaintStepBodySchema)) body: ComplaintStepBody) {
    return this.complaintStep(principal, caseRef, 'COMPLAINT_ANSWERED', body);
  }

  private async complaintStep(principal: Principal, caseRef: string, action: CaseAction, body: ComplaintStepBody): Promise<AcceptedCommand> {
    const found = await this.openCase(principal, caseRef);
    if (found.caseClass !== 'COMPLAINT') {
      throw new ConflictException(`case ${found.caseNo} is of class ${found.caseClass}, not COMPLAINT`);
    }
    return this.action(principal, found, action, { note: body.note, actor: body.actor });
  }

  private action(
    principal: Principal,
    found: CaseSummary,
    action: CaseAction,
    fields: { note?: string; actor?: string },
    rename: Record<string, string> = {},
  ): Promise<AcceptedCommand> {
    return this.publisher.publish(
      'action',
      {
        ...this.common(principal, found),
        caseRef: { caseNo: found.caseNo },
        action,
        actor: fields.actor ?? principal.name,
        ...(fields.note !== undefined ? { note: fields.note } : {}),
      },
      rename,
    );
  }

  /** The common fields of events.md for a command by this caller on this case. */
  private common(principal: Principal, found: CaseSummary) {
    return {
      ...this.publisher.stamp(),
      schemaVersion: 1,
      waybillNo: found.waybillNo,
      ...commandOrigin(principal),
      operatorId: principal.name.slice(0, 64),
    };
  }

  private async openCase(principal: Principal, caseRef: string): Promise<CaseSummary> {
    const found = await requireVisibleCase(this.cases, principal, caseRef);
    if (CLOSED_STATES.has(found.state)) {
      throw new ConflictException(`case ${found.caseNo} is ${found.state}`);
    }
    return found;
  }
}
