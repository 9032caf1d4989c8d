import { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { pino, stdSerializers, type DestinationStream, type Level, type LevelWithSilent, type Logger, type LoggerOptions } from 'pino';
import { maskPii } from '../pii/mask.js';

export interface LoggingOptions {
  /** Service name, written on every record as `app`. */
  app: string;
  /** Minimum level. Default: env `LOG_LEVEL`, else `info`. */
  level?: string;
}

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Validates a level name (case-insensitive); an unknown one is a configuration error, reported at start-up. */
export function resolveLogLevel(raw: string | undefined = process.env.LOG_LEVEL): LevelWithSilent {
  const level = (raw ?? '').trim().toLowerCase();
  if (level === '') return 'info';
  if ((LEVELS as readonly string[]).includes(level)) return level as LevelWithSilent;
  throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}; got "${raw}"`);
}

// Credentials never reach the log, whatever the masking rules say.
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/** Serializes an error (pino's standard form: type, message, stack, own fields) and masks personal data in it. */
function maskedErrorSerializer(error: unknown): unknown {
  // pino-http wraps this serializer and hands it an error already serialized once; serializing that again would
  // rename its type to "Object".
  const serialized = error instanceof Error ? stdSerializers.err(error) : error;
  return serialized !== null && typeof serialized === 'object' ? maskPii({ ...serialized }) : maskPii(serialized);
}

/**
 * Masks an HTTP request (url and query string, headers). pino-http hands over the request already serialized;
 * a raw one logged directly (`logger.info({ req })`) is serialized first rather than copied with its socket.
 */
function maskedRequestSerializer(request: unknown): unknown {
  const serialized = request instanceof IncomingMessage ? stdSerializers.req(request) : request;
  return serialized !== null && typeof serialized === 'object' ? maskPii({ ...serialized }) : serialized;
}

/** Masks an HTTP response (its headers); raw responses are serialized first, as for requests. */
function maskedResponseSerializer(response: unknown): unknown {
  const serialized = response instanceof ServerResponse ? stdSerializers.res(response) : response;
  return serialized !== null && typeof serialized === 'object' ? maskPii({ ...serialized }) : serialized;
}

/** Serializers that mask errors and HTTP messages; pino-http must be given them too (it replaces `req`/`res`). */
export const maskingSerializers = {
  err: maskedErrorSerializer,
  error: maskedErrorSerializer,
  req: maskedRequestSerializer,
  res: maskedResponseSerializer,
};

/**
 * pino options for the format and masking the services share: JSON records with an ISO timestamp, the level
 * name and the app name, the level from `LOG_LEVEL`, and personal data masked in the log call's arguments
 * (merging object, message, interpolation values) through `hooks.logMethod`, and in errors, requests and responses
 * through their serializers (class instances, which the hook leaves alone). Child-logger bindings are masked by
 * {@link createLogger}, which is what a logger should be built with.
 */
export function createPinoOptions(options: LoggingOptions): LoggerOptions {
  return {
    level: resolveLogLevel(options.level),
    base: { app: options.app, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // Level as its name ("info"), not pino's number: readable and what log pipelines expect.
      level: (label) => ({ level: label }),
    },
    hooks: {
      logMethod(args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(
          this,
          args.map((arg) => maskPii(arg)),
        );
      },
    },
    serializers: maskingSerializers,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
  };
}

/**
 * A pino logger with the services' format and masking (see {@link createPinoOptions}), `destination` defaulting to
 * stdout. The Nest applications get it through LoggingModule; code outside Nest (command-line tools, the simulator,
 * benchmarks) calls this directly.
 */
export function createLogger(options: LoggingOptions, destination?: DestinationStream): Logger {
  const logger = destination ? pino(createPinoOptions(options), destination) : pino(createPinoOptions(options));
  // pino applies `formatters.bindings` to the root's bindings only, so child bindings (`logger.child({ recipient })`,
  // pino-http's request loggers, PinoLogger.assign) are masked here. Children are created from their parent's
  // prototype chain, so this one override covers every descendant.
  const childOf = logger.child;
  logger.child = function maskedChild(this: Logger, bindings, childOptions) {
    return childOf.call(this, maskPii(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

export type { Level, LevelWithSilent, Logger };
