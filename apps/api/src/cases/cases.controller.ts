import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ApiCaseScoped, ApiZodQuery } from '../http/openapi.js';
import { RequestValidationError, ZodPipe } from '../http/zod-validation.js';
import { caseListQuerySchema, decodeCursor, type CaseListQuery } from './case-query.js';
import { CasesRepository, type CaseDetail, type CasePage, type CaseSummary } from './cases.repository.js';

export const CASE_REF_PARAM = {
  name: 'caseRef',
  description: 'case number (PI-YYYYMM-NNNNNNN) or case id',
  example: 'PI-202611-0000001',
};

/** Looks a case up through the caller's scope: 404 when it does not exist or belongs to another site (rules §6). */
export async function requireVisibleCase(cases: CasesRepository, principal: Principal, caseRef: string): Promise<CaseSummary> {
  const found = caseRef.length <= 256 ? await cases.findVisible(principal, caseRef) : null;
  if (!found) throw new NotFoundException(`case ${caseRef.slice(0, 64)} not found`);
  return found;
}

@ApiTags('cases')
@ApiBearerAuth()
@Controller('api/cases')
export class CasesController {
  constructor(private readonly cases: CasesRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Cases in the caller’s scope, most urgent first',
    description:
      'Sorted by next due time (cases without a pending deadline last), then case id. Cursor pagination: pass ' +
      '`nextCursor` back as `cursor` to read the next page; the order is total, so pages never overlap or skip.',
  })
  @ApiZodQuery(caseListQuerySchema)
  @ApiCaseScoped()
  @ApiOkResponse({ description: '{ items: CaseSummary[], nextCursor: string | null }' })
  list(@CurrentUser() principal: Principal, @Query(new ZodPipe(caseListQuerySchema)) query: CaseListQuery): Promise<CasePage> {
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === null) {
      throw new RequestValidationError([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
    }
    return this.cases.list(principal, query, cursor);
  }

  @Get(':caseRef')
  @ApiOperation({ summary: 'A case with its timeline, deadlines, liability, notifications (masked) and evidence' })
  @ApiParam(CASE_REF_PARAM)
  @ApiCaseScoped()
  async detail(@CurrentUser() principal: Principal, @Param('caseRef') caseRef: string): Promise<CaseDetail> {
    return this.cases.detail(await requireVisibleCase(this.cases, principal, caseRef));
  }
}
