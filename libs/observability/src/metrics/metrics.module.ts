import { Module, type DynamicModule } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { Metrics, type MetricsOptions } from './metrics.service.js';

/**
 * Prometheus metrics for a Nest application: `GET /metrics`, process metrics, and the injectable {@link Metrics}
 * (global, so any module can define its metrics through it).
 *
 *   @Module({ imports: [MetricsModule.forRoot({ app: 'ingest' })] })
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: Metrics, useFactory: () => new Metrics(options) }],
      exports: [Metrics],
    };
  }
}
