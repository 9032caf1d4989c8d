import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentUser } from './auth.decorators.js';
import { isSiteBound, type Principal } from './principal.js';

export interface Me {
  name: string;
  role: Principal['role'];
  siteCode: string | null;
  /** 'SITE': the caller sees only the cases of `siteCode` (rules §6); 'ALL': every case. */
  scope: 'SITE' | 'ALL';
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'Who the token belongs to, and the scope it sees (the dashboard’s login check)' })
  @ApiOkResponse({ description: '{ name, role, siteCode, scope }' })
  @ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' })
  me(@CurrentUser() principal: Principal): Me {
    return { name: principal.name, role: principal.role, siteCode: principal.siteCode, scope: isSiteBound(principal) ? 'SITE' : 'ALL' };
  }
}
