import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import { parseCookie } from 'cookie';
import { Redis } from 'ioredis';
import { APP_ENV, DEADLINE_QUEUE, type AppEnv } from '#config';
import { UsersService } from '../auth/users.service.js';

/** Where the board is served (the UI, its static files and its JSON API all live under it). */
export const QUEUE_BOARD_PATH = '/ops/queues';
/** The cookie a browser carries to the board: set by `POST /api/ops/queues/session`, sent only under the board's path. */
export const QUEUE_BOARD_COOKIE = 'courier_queue_board';

type Next = (error?: unknown) => void;

function sendJson(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(JSON.stringify({ statusCode: status, ...body }));
}

/** The bearer token of a board request: the Authorization header (scripts) or the board cookie (a browser). */
export function boardToken(request: Pick<IncomingMessage, 'headers'>): string | null {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (header) return header[1]!;
  const cookies = request.headers.cookie ? parseCookie(request.headers.cookie) : {};
  return cookies[QUEUE_BOARD_COOKIE] ?? null;
}

/**
 * The BullMQ board for ops (bull-board), over the deadline service's timer queue. Read-only: the timers are derived
 * from PostgreSQL and owned by the deadlines app and its reconciler, so the board shows them (counts, delayed jobs and
 * their due times, failures) but cannot promote, retry, clean or remove them.
 *
 * It is plain Express middleware, not a Nest route, so the global bearer guard does not see it: `authorise` applies
 * the same rule itself — no or a bad token 401, a role other than OPS 403.
 */
@Injectable()
export class QueueBoard implements OnApplicationShutdown {
  private readonly log = new Logger(QueueBoard.name);
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly serverAdapter = new ExpressAdapter();

  constructor(
    private readonly users: UsersService,
    @Inject(APP_ENV) env: AppEnv,
  ) {
    // Lazy: the API starts (and serves cases) with Redis away; the board connects when first opened.
    this.redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true, enableOfflineQueue: true });
    this.redis.on('error', (error: Error) => this.log.warn(`queue board Redis: ${error.message}`));
    this.queue = new Queue(DEADLINE_QUEUE, { connection: this.redis });
    this.queue.on('error', (error: Error) => this.log.warn(`queue board: ${error.message}`));
    this.serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: [
        new BullMQAdapter(this.queue, {
          readOnlyMode: true,
          description: 'one delayed job per pending deadline (job id = deadline id); judged against PostgreSQL when due',
        }),
      ],
      serverAdapter: this.serverAdapter,
      options: { uiConfig: { boardTitle: 'Courier timers' } },
    });
  }

  /** Mounts the board on the app's Express instance (before Nest's routes, like the body limits). */
  mount(app: NestExpressApplication): void {
    app.use(QUEUE_BOARD_PATH, this.authorise, this.serverAdapter.getRouter());
  }

  private readonly authorise = (request: IncomingMessage, response: ServerResponse, next: Next): void => {
    const token = boardToken(request);
    if (!token) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="courier-api"');
      sendJson(response, 401, {
        message: 'a bearer token is required: open the queues from the ops dashboard, or send Authorization: Bearer <token>',
      });
      return;
    }
    this.users.authenticate(token).then(
      (principal) => {
        if (!principal) {
          response.setHeader('WWW-Authenticate', 'Bearer realm="courier-api"');
          sendJson(response, 401, { message: 'the bearer token is unknown, revoked or expired' });
        } else if (principal.role !== 'OPS') {
          sendJson(response, 403, { message: `role ${principal.role} may not do this (allowed: OPS)` });
        } else {
          next();
        }
      },
      (error: unknown) => next(error),
    );
  };

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
