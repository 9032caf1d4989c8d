import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body the API reads (bigger ones get 413 before any parsing). */
export const MAX_BODY_BYTES = 64 * 1024;
/** The one exception: an evidence upload carries a file (a photo, a scanned letter), base64-encoded. */
export const MAX_EVIDENCE_BODY_BYTES = 8 * 1024 * 1024;

const EVIDENCE_UPLOAD = /^\/api\/cases\/[^/?#]+\/evidence\/?(?:[?#]|$)/;

function isEvidenceUpload(request: IncomingMessage): boolean {
  return request.method === 'POST' && EVIDENCE_UPLOAD.test(request.url ?? '');
}

/** The body limit of this request. */
export function bodyLimitOf(request: IncomingMessage): number {
  return isEvidenceUpload(request) ? MAX_EVIDENCE_BODY_BYTES : MAX_BODY_BYTES;
}

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
 * Caps every request body at {@link MAX_BODY_BYTES} ({@link MAX_EVIDENCE_BODY_BYTES} for an evidence upload):
 * - a declared Content-Length over the limit is refused at once, whatever the content type, without reading it;
 * - the JSON and form parsers stop reading at the limit (chunked bodies have no declared length);
 * and turns the parsers' errors into the API's JSON error shape (413, or 400 for malformed JSON).
 *
 * Must run before Nest registers its default parsers (100 KiB): Nest skips its own when these are in place.
 */
export function applyBodyLimits(app: NestExpressApplication): void {
  app.use((request: IncomingMessage, response: ServerResponse, next: Next) => {
    const declared = Number(request.headers['content-length']);
    const limit = bodyLimitOf(request);
    if (Number.isFinite(declared) && declared > limit) {
      // The unread body would otherwise be parsed as the next request on a kept-alive connection.
      response.setHeader('Connection', 'close');
      sendJson(response, 413, tooLarge(declared, limit));
      return;
    }
    next();
  });
  // Evidence uploads are read by their own parser first; the general one then finds the body already read.
  const evidenceJson = json({ limit: MAX_EVIDENCE_BODY_BYTES });
  app.use((request: IncomingMessage, response: ServerResponse, next: Next) =>
    isEvidenceUpload(request) ? evidenceJson(request as never, response as never, next) : next(),
  );
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.useBodyParser('urlencoded', { limit: MAX_BODY_BYTES, extended: false });
  app.use((error: BodyParserError, request: IncomingMessage, response: ServerResponse, next: Next) => {
    if (error.type === 'entity.too.large') {
      response.setHeader('Connection', 'close');
      sendJson(response, 413, tooLarge(null, bodyLimitOf(request)));
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

function tooLarge(declared: number | null, limit: number) {
  const readable = limit >= 1024 * 1024 ? `${limit / (1024 * 1024)} MiB` : `${limit / 1024} KiB`;
  return {
    statusCode: 413,
    error: 'Payload Too Large',
    message: `request body${declared === null ? '' : ` of ${declared} bytes`} is over the ${limit}-byte (${readable}) limit`,
  };
}
