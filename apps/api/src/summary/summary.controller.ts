import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { SummaryService, type OpsSummary } from './summary.service.js';

@ApiTags('ops')
@ApiBearerAuth()
@Controller('api/ops')
export class SummaryController {
  constructor(private readonly summaries: SummaryService) {}

  @Get('summary')
  @Roles('OPS', 'HQ')
  @ApiOperation({ summary: 'Network-wide figures: cases, overdue, liability, notifications, DLQ, timers, lag, events/s, trend' })
  @ApiOkResponse({ description: 'OpsSummary' })
  @ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' })
  @ApiForbiddenResponse({ description: 'branch and hub staff see their site’s view (GET /api/cases), not the network' })
  summary(): Promise<OpsSummary> {
    return this.summaries.summary();
  }
}
