import { Controller, Get, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { filter, finalize, interval, map, merge, Observable, of } from 'rxjs';
import { z } from 'zod';
import { ApiMetrics } from '../api.metrics.js';
import { CurrentUser } from '../auth/auth.decorators.js';
import { seesSites, type Principal } from '../auth/principal.js';
import { ApiZodQuery } from '../http/openapi.js';
import { ZodPipe } from '../http/zod-validation.js';
import { AlertFeed } from './alert-feed.js';
import type { Alert } from './alerts.js';

/** A comment-like keep-alive so that proxies do not close an idle stream. */
const KEEP_ALIVE_MS = 15_000;

const recentQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(200, 'must be at most 200'))
    .optional(),
});

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/alerts')
export class AlertsController {
  constructor(
    private readonly feed: AlertFeed,
    private readonly metrics: ApiMetrics,
  ) {}

  @Sse('stream')
  @ApiOperation({
    summary: 'Live alerts in the caller’s scope (Server-Sent Events)',
    description:
      'Event types: `case.opened`, `case.overdue`, `case.reply`, `site.alert`; `ready` once, then `ping` every 15 s. ' +
      'Send the token in the Authorization header (read the stream with fetch; EventSource cannot send headers).',
  })
  @ApiProduces('text/event-stream')
  @ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' })
  stream(@CurrentUser() principal: Principal): Observable<MessageEvent> {
    this.metrics.alertStreams.inc();
    const alerts = this.feed.alerts$.pipe(
      filter((alert) => seesSites(principal, alert.sites)),
      map((alert): MessageEvent => ({ id: alert.id, type: alert.type, data: alert })),
    );
    const keepAlive = interval(KEEP_ALIVE_MS).pipe(map((): MessageEvent => ({ type: 'ping', data: {} })));
    const ready = of<MessageEvent>({ type: 'ready', data: { user: principal.name, role: principal.role, site: principal.siteCode } });
    return merge(ready, alerts, keepAlive).pipe(finalize(() => this.metrics.alertStreams.dec()));
  }

  @Get('recent')
  @ApiOperation({ summary: 'The latest alerts in the caller’s scope, newest first (what a page shows on opening)' })
  @ApiZodQuery(recentQuerySchema)
  @ApiOkResponse({ description: 'Alert[]' })
  @ApiUnauthorizedResponse({ description: 'no token, or an unknown, revoked or expired one' })
  recent(@CurrentUser() principal: Principal, @Query(new ZodPipe(recentQuerySchema)) query: z.output<typeof recentQuerySchema>): Alert[] {
    return this.feed.recent(principal, query.limit ?? 50);
  }
}
