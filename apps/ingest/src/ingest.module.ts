import { Module } from '@nestjs/common';
import { ConfigModule, PolicyModule } from '#config';
import { PersistenceModule } from '#persistence';
import { MessagingModule, OutboxRelay } from '#messaging';
import { IngestController } from './ingest.controller.js';
import { IngestMetrics } from './ingest.metrics.js';
import { ProcessBatchUseCase } from './usecases/process-batch/process-batch.usecase.js';
import { HealthModule, MetricsModule } from '#observability';

@Module({
  imports: [ConfigModule, PolicyModule, PersistenceModule, MessagingModule, MetricsModule.forRoot({ app: 'ingest' }), HealthModule.forRoot({ checks: ['postgres', 'kafka'] })],
  controllers: [IngestController],
  providers: [ProcessBatchUseCase, IngestMetrics, OutboxRelay],
})
export class IngestModule {}
