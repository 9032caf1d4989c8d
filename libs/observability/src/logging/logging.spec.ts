import { Writable } from 'node:stream';
import { Controller, Get, Inject, Logger as NestLogger, Module, Query, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PinoLogger } from 'nestjs-pino';
import { LoggingModule } from './logging.module.js';
import { createLogger, resolveLogLevel } from './pino-options.js';

/** An in-memory destination: every record written, parsed. */
function captureStream(): { stream: Writable; records: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const text = () => chunks.join('');
  const records = () =>
    text()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, records, text };
}

describe('resolveLogLevel', () => {
  it('defaults to info and accepts every pino level, in any case', () => {
    expect(resolveLogLevel(undefined)).toBe('info');
    expect(resolveLogLevel('')).toBe('info');
    expect(resolveLogLevel(' DEBUG ')).toBe('debug');
    expect(resolveLogLevel('silent')).toBe('silent');
  });

  it('rejects an unknown level naming the variable', () => {
    expect(() => resolveLogLevel('verbose')).toThrow(/LOG_LEVEL must be one of .*got "verbose"/);
  });
});

describe('createLogger', () => {
  it('writes JSON records with the app, an ISO time and the level name', () => {
    const out = captureStream();
    createLogger({ app: 'ingest', level: 'info' }, out.stream).info('started');
    const [record] = out.records();
    expect(record).toMatchObject({ app: 'ingest', level: 'info', msg: 'started' });
    expect(record.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('honours the level, from the option or from LOG_LEVEL', () => {
    const out = captureStream();
    const logger = createLogger({ app: 'ingest', level: 'warn' }, out.stream);
    logger.info('hidden');
    logger.warn('shown');
    expect(out.records().map((record) => record.msg)).toEqual(['shown']);

    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'debug';
    try {
      expect(createLogger({ app: 'ingest' }, captureStream().stream).level).toBe('debug');
    } finally {
      if (previous === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previous;
    }
  });

  it('masks personal data in the logged object, the message and interpolated values', () => {
    const out = captureStream();
    const logger = createLogger({ app: 'ingest', level: 'info' }, out.stream);
    logger.info(
      { waybillNo: 'SF1234567890', recipient: { name: '张三', mobile: '13812345678', address: '上海市浦东新区张江路100号' } },
      'delivery failed, customer %s, contact %s',
      '13912345678',
      'zhang@example.com',
    );
    const [record] = out.records();
    expect(record).toMatchObject({
      waybillNo: 'SF1234567890',
      recipient: { name: '张*', mobile: '138****5678', address: '上海市浦东新区****' },
      msg: 'delivery failed, customer 139****5678, contact z***@example.com',
    });
    expect(out.text()).not.toMatch(/13812345678|13912345678|张三|张江路|zhang@/);
  });

  it('masks child-logger bindings', () => {
    const out = captureStream();
    createLogger({ app: 'notifier', level: 'info' }, out.stream).child({ customerContact: '13812345678' }).info('sms queued');
    expect(out.records()[0]).toMatchObject({ customerContact: '138****5678', msg: 'sms queued' });
  });

  it('serializes errors and masks their message and extra fields', () => {
    const out = captureStream();
    const error = Object.assign(new Error('SMS gateway refused 13812345678'), { recipient: { name: '李四' } });
    createLogger({ app: 'notifier', level: 'info' }, out.stream).error({ err: error }, 'send failed');
    const [record] = out.records();
    expect(record.err).toMatchObject({ type: 'Error', message: 'SMS gateway refused 138****5678', recipient: { name: '李*' } });
    expect(out.text()).not.toContain('13812345678');
  });

  it('never writes credentials of a logged request', () => {
    const out = captureStream();
    createLogger({ app: 'api', level: 'info' }, out.stream).info({ headers: { authorization: 'Bearer secret-token' } }, 'call');
    expect(out.text()).not.toContain('secret-token');
    expect(out.records()[0]).toMatchObject({ headers: { authorization: '[REDACTED]' } });
  });
});

describe('LoggingModule', () => {
  @Controller('cases')
  class CasesController {
    private readonly logger = new NestLogger(CasesController.name);

    @Get()
    list(@Query('mobile') mobile: string): { found: number } {
      this.logger.log(`looking up cases of ${mobile}`);
      return { found: 0 };
    }
  }

  @Controller('deliveries')
  class DeliveriesController {
    constructor(@Inject(PinoLogger) private readonly logger: PinoLogger) {}

    @Get()
    find(@Query('mobile') mobile: string): { found: number } {
      // assign() adds fields to every later record of this request, the completion record included.
      this.logger.assign({ recipientMobile: mobile });
      this.logger.info('searching deliveries');
      return { found: 0 };
    }
  }

  @Controller('health')
  class ProbeController {
    @Get()
    health(): { status: string } {
      return { status: 'ok' };
    }
  }

  // nestjs-pino keeps one root logger per process (per test file here): one application serves every test.
  const out = captureStream();
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    @Module({ imports: [LoggingModule.forRoot({ app: 'api', level: 'info', destination: out.stream })], controllers: [CasesController, DeliveriesController, ProbeController] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('logs each request once, with a request id, masking the query string and the application logs', async () => {
    const response = await fetch(`${url}/cases?mobile=13812345678`, { headers: { 'x-request-id': 'trace-1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-1');

    const records = out.records();
    const appLog = records.find((record) => record.context === 'CasesController');
    expect(appLog).toMatchObject({ app: 'api', level: 'info', msg: 'looking up cases of 138****5678' });
    expect((appLog?.req as { id?: string } | undefined)?.id).toBe('trace-1');

    const requestLogs = records.filter((record) => record.msg === 'request completed');
    expect(requestLogs).toHaveLength(1);
    expect(requestLogs[0]).toMatchObject({ req: { id: 'trace-1', method: 'GET', url: '/cases?mobile=138****5678' }, res: { statusCode: 200 } });
    expect(out.text()).not.toContain('13812345678');
  });

  it('does not log health probes', async () => {
    const before = out.records().length;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/cases`)).status).toBe(200);
    // Only the second request is logged: the probe left no record.
    const urls = out
      .records()
      .slice(before)
      .filter((record) => record.msg === 'request completed')
      .map((record) => (record.req as { url: string }).url);
    expect(urls).toEqual(['/cases']);
  });

  it('masks request headers bound to the request logger', async () => {
    const before = out.records().length;
    expect((await fetch(`${url}/cases`, { headers: { 'x-customer-phone': '13912345678' } })).status).toBe(200);
    const records = out.records().slice(before);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect((record.req as { headers: Record<string, string> }).headers['x-customer-phone']).toBe('139****5678');
  });

  it('masks the fields added with PinoLogger.assign', async () => {
    const before = out.records().length;
    expect((await fetch(`${url}/deliveries?mobile=13912345678`)).status).toBe(200);
    const records = out.records().slice(before);
    expect(records.find((record) => record.msg === 'searching deliveries')).toMatchObject({ recipientMobile: '139****5678' });
    expect(JSON.stringify(records)).not.toContain('13912345678');
  });
});
