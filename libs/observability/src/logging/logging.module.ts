import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger as NestLogger, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { Logger, LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { createLogger, maskingSerializers, type LoggingOptions } from './pino-options.js';

export interface LoggingModuleOptions extends LoggingOptions {
  /**
   * Route Nest's own logger (and every `new Logger(context)` in the code) to pino once the module is initialised,
   * which is what `app.useLogger(app.get(Logger))` does in main.ts. Default true. Create the application with
   * `bufferLogs: true` to have the start-up lines written by pino too.
   */
  replaceNestLogger?: boolean;
  /** Where records go; default stdout. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

const LOGGING_OPTIONS = Symbol('LOGGING_OPTIONS');

// Probes and scrapes hit these every few seconds: logging each would bury the requests that matter.
const QUIET_PATHS = new Set(['/health', '/metrics']);

function pathOf(url: string | undefined): string {
  const path = (url ?? '').split('?')[0];
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function pinoHttpOptions(options: LoggingModuleOptions): PinoHttpOptions {
  return {
    logger: createLogger(options, options.destination),
    // pino-http installs its own req/res/err serializers unless given these.
    serializers: maskingSerializers,
    // Keep the caller's correlation id when there is one, so a request can be followed across services.
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const header = request.headers['x-request-id'];
      const id = (Array.isArray(header) ? header[0] : header)?.slice(0, 128) || randomUUID();
      response.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel: (_request, response, error) => {
      if (error || response.statusCode >= 500) return 'error';
      if (response.statusCode >= 400) return 'warn';
      return 'info';
    },
    autoLogging: { ignore: (request) => QUIET_PATHS.has(pathOf(request.url)) },
  };
}

/** Installs the pino-backed logger as Nest's logger (see {@link LoggingModuleOptions.replaceNestLogger}). */
@Injectable()
class NestLoggerInstaller implements OnModuleInit {
  constructor(
    @Inject(Logger) private readonly logger: Logger,
    @Inject(LOGGING_OPTIONS) private readonly options: LoggingModuleOptions,
  ) {}

  onModuleInit(): void {
    if (this.options.replaceNestLogger !== false) NestLogger.overrideLogger(this.logger);
  }
}

/**
 * JSON logging with pino for a Nest application: one record per HTTP request (except /health and /metrics) with
 * a request id, and personal data masked in every record (see pii/mask.ts). Injectables: `Logger` (Nest
 * LoggerService), `PinoLogger`, and `@InjectPinoLogger(context)`, all re-exported by this library.
 *
 *   @Module({ imports: [LoggingModule.forRoot({ app: 'ingest' })] })
 *
 * One configuration per process: nestjs-pino keeps a single, process-wide root logger, built by the first
 * application that uses it.
 */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingModuleOptions): DynamicModule {
    const httpOptions = pinoHttpOptions(options);
    return {
      module: LoggingModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: httpOptions })],
      providers: [{ provide: LOGGING_OPTIONS, useValue: options }, NestLoggerInstaller],
      exports: [LoggerModule],
    };
  }
}
