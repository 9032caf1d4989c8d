import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Registry, register as globalRegistry } from 'prom-client';
import { MetricsModule } from './metrics.module.js';
import { Metrics } from './metrics.service.js';

/** A provider that defines its metrics through the injectable, as the services do. */
@Injectable()
class ShipmentMetrics {
  readonly scans;
  readonly openCases;
  readonly batchSeconds;

  constructor(metrics: Metrics) {
    this.scans = metrics.counter({ name: 'courier_test_scans_total', help: 'Scans by type', labelNames: ['scan_type'] });
    this.openCases = metrics.gauge({ name: 'courier_test_open_cases', help: 'Open cases' });
    this.batchSeconds = metrics.histogram({ name: 'courier_test_batch_seconds', help: 'Batch time', buckets: [0.1, 1] });
  }
}

async function startApp(registry: Registry, defaultMetrics = true): Promise<INestApplication> {
  @Module({ imports: [MetricsModule.forRoot({ app: 'ingest', registry, defaultMetrics })], providers: [ShipmentMetrics] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

async function scrape(app: INestApplication): Promise<Response> {
  return fetch(`${await app.getUrl()}/metrics`);
}

describe('MetricsModule', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('serves a counter defined through Metrics on GET /metrics, labelled with the app', async () => {
    app = await startApp(new Registry());
    const shipmentMetrics = app.get(ShipmentMetrics);
    shipmentMetrics.scans.inc({ scan_type: 'PICKUP' });
    shipmentMetrics.scans.inc({ scan_type: 'PICKUP' });
    shipmentMetrics.openCases.set(3);
    shipmentMetrics.batchSeconds.observe(0.5);

    const response = await scrape(app);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# HELP courier_test_scans_total Scans by type');
    expect(text).toContain('# TYPE courier_test_scans_total counter');
    expect(text).toContain('courier_test_scans_total{scan_type="PICKUP",app="ingest"} 2');
    expect(text).toContain('courier_test_open_cases{app="ingest"} 3');
    expect(text).toContain('courier_test_batch_seconds_bucket{le="1",app="ingest"} 1');
  });

  it('exposes the default process metrics', async () => {
    app = await startApp(new Registry());
    const text = await (await scrape(app)).text();
    expect(text).toContain('process_cpu_user_seconds_total{app="ingest"}');
    expect(text).toContain('nodejs_eventloop_lag_seconds{app="ingest"}');
  });

  it('can leave the process metrics out', async () => {
    app = await startApp(new Registry(), false);
    const text = await (await scrape(app)).text();
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(text).toContain('courier_test_scans_total');
  });
});

describe('Metrics', () => {
  it('returns the existing metric when the same definition is registered again', () => {
    const metrics = new Metrics({ app: 'api', registry: new Registry(), defaultMetrics: false });
    const first = metrics.counter({ name: 'courier_test_total', help: 'h', labelNames: ['a', 'b'] });
    const again = metrics.counter({ name: 'courier_test_total', help: 'h', labelNames: ['b', 'a'] });
    expect(again).toBe(first);
  });

  it('refuses a conflicting definition of an existing name', () => {
    const metrics = new Metrics({ app: 'api', registry: new Registry(), defaultMetrics: false });
    metrics.counter({ name: 'courier_test_total', help: 'h', labelNames: ['a'] });
    expect(() => metrics.gauge({ name: 'courier_test_total', help: 'h', labelNames: ['a'] })).toThrow(/already registered/);
    expect(() => metrics.counter({ name: 'courier_test_total', help: 'h', labelNames: ['b'] })).toThrow(/already registered/);
    expect(() => metrics.counter({ name: 'courier_test_total', help: 'other', labelNames: ['a'] })).toThrow(/already registered/);
  });

  it('refuses label names that would carry personal data', () => {
    const metrics = new Metrics({ app: 'api', registry: new Registry(), defaultMetrics: false });
    expect(() => metrics.counter({ name: 'courier_sms_total', help: 'h', labelNames: ['brand', 'mobile'] })).toThrow(/mobile/);
    expect(() => metrics.histogram({ name: 'courier_x_seconds', help: 'h', labelNames: ['recipient'] })).toThrow(/personal data/);
  });

  it('collects the process metrics once per registry, however many Metrics are created', () => {
    const registry = new Registry();
    new Metrics({ app: 'api', registry });
    expect(() => new Metrics({ app: 'api', registry })).not.toThrow();
    expect(registry.getSingleMetric('process_cpu_user_seconds_total')).toBeDefined();
  });

  it('uses the global registry by default, so metrics registered there directly are served as well', async () => {
    const direct = new Counter({ name: 'courier_test_direct_total', help: 'Registered on the global registry', registers: [globalRegistry] });
    direct.inc(5);
    const metrics = new Metrics({ app: 'notifier', defaultMetrics: false });
    expect(metrics.registry).toBe(globalRegistry);
    expect(await metrics.render()).toContain('courier_test_direct_total{app="notifier"} 5');
    globalRegistry.clear();
    globalRegistry.setDefaultLabels({});
  });
});
