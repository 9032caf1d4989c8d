import { Controller, Delete, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { stringifySetCookie } from 'cookie';
import { Roles } from '../auth/auth.decorators.js';
import { QUEUE_BOARD_COOKIE, QUEUE_BOARD_PATH, boardToken } from './queue-board.js';

/** How long a browser may keep the board open without going back to the dashboard. */
const SESSION_SECONDS = 8 * 3600;

interface CookieResponse {
  setHeader(name: string, value: string): void;
}

interface SessionRequest {
  headers: Record<string, string | undefined>;
  secure?: boolean;
}

/**
 * A browser cannot put a bearer token on a page navigation, and the board's own UI calls its API without one. So
 * the dashboard hands the board the ops user's token as an HttpOnly, SameSite=Strict cookie limited to the board's
 * path: sent to nothing else, unreadable by scripts, never sent from another site.
 */
@ApiTags('ops')
@ApiBearerAuth()
@Controller('api/ops/queues/session')
export class QueueBoardController {
  @Post()
  @HttpCode(200)
  @Roles('OPS')
  @ApiOperation({
    summary: 'Open the BullMQ board (the deadline timers) in this browser',
    description: `Sets an HttpOnly cookie for \`${QUEUE_BOARD_PATH}\` carrying the caller's token; then open \`${QUEUE_BOARD_PATH}/\`.`,
  })
  @ApiOkResponse({ description: '{ url }: where the board is' })
  @ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' })
  @ApiForbiddenResponse({ description: 'only OPS may see the queues' })
  open(@Req() request: SessionRequest, @Res({ passthrough: true }) response: CookieResponse): { url: string } {
    // The guard has authenticated the header's token: it is the one the cookie carries.
    const token = boardToken(request)!;
    response.setHeader('Set-Cookie', boardCookie(token, SESSION_SECONDS, request.secure === true));
    return { url: `${QUEUE_BOARD_PATH}/` };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget the board cookie (the dashboard calls it at sign-out)' })
  @ApiNoContentResponse({ description: 'the cookie is cleared' })
  @ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' })
  close(@Req() request: SessionRequest, @Res({ passthrough: true }) response: CookieResponse): void {
    response.setHeader('Set-Cookie', boardCookie('', 0, request.secure === true));
  }
}

function boardCookie(value: string, maxAge: number, secure: boolean): string {
  return stringifySetCookie(QUEUE_BOARD_COOKIE, value, { httpOnly: true, sameSite: 'strict', path: QUEUE_BOARD_PATH, maxAge, secure });
}
