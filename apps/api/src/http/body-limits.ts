import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body the API reads (bigger ones get 413 before any parsing). */
export const MAX_BODY_BYTES = 64 * 1024;

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

type Next = (error?: unknown) => void;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

/**
 * Caps every request body at {@link MAX_BODY_BYTES}:
 * - a declared Content-Length over the limit is refused at once, whatever the content type, without reading it;
 * - the JSON and form parsers stop reading at the limit (chunked bodies have no declared length);
 * and turns the parsers' errors into the API's JSON error shape (413, or 400 for malformed JSON).
 *
 * Must run before Nest registers its default parsers (100 KiB): Nest skips its own when these are in place.
 */
export function applyBodyLimits(app: NestExpressApplication): void {
  app.use((request: IncomingMessage, response: ServerResponse, next: Next) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      // The unread body would otherwise be parsed as the next request on a kept-alive connection.
      response.setHeader('Connection', 'close');
      sendJson(response, 413, tooLarge(declared));
      return;
    }
    next();
  });
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.useBodyParser('urlencoded', { limit: MAX_BODY_BYTES, extended: false });
  app.use((error: BodyParserError, _request: IncomingMessage, response: ServerResponse, next: Next) => {
    if (error.type === 'entity.too.large') {
      response.setHeader('Connection', 'close');
      sendJson(response, 413, tooLarge(null));
    } else if (error.type === 'entity.parse.failed') {
      sendJson(response, 400, {
        statusCode: 400,
        error: 'Bad Request',
        message: `body: not valid JSON (${error.message})`,
        errors: [{ field: 'body', message: 'not valid JSON' }],
      });
    } else if (error.status && error.status >= 400 && error.status < 500) {
      sendJson(response, error.status, { statusCode: error.status, message: `body: ${error.message}` });
    } else {
      next(error);
    }
  });
}

function tooLarge(declared: number | null) {
  return {
    statusCode: 413,
    error: 'Payload Too Large',
    message: `request body${declared === null ? '' : ` of ${declared} bytes`} is over the ${MAX_BODY_BYTES}-byte (64 KiB) limit`,
  };
}
