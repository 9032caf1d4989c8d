import { Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CLOCK, ConfigModule, PolicyModule, type Clock } from '#config';
import { PersistenceModule } from '#persistence';
import { MessagingModule, OutboxRelay } from '#messaging';
import { HealthModule, MetricsModule } from '#observability';
import { DEADLINE_SCHEDULER } from './scheduler/deadline-scheduler.js';
import { BullMqDeadlineScheduler } from './scheduler/bullmq-deadline-scheduler.js';
import { REDIS, redisProvider } from './redis.provider.js';
import { DeadlineIntentsController } from './deadline-intents.controller.js';
import { ApplyIntentsUseCase } from './usecases/apply-intents/apply-intents.usecase.js';
import { FireDeadlineUseCase } from './usecases/fire-deadline/fire-deadline.usecase.js';
import { ReconcileUseCase } from './usecases/reconcile/reconcile.usecase.js';
import { DeadlineWorker } from './deadline.worker.js';
import { DeadlinesMaintenance } from './deadlines-maintenance.js';
import { DeadlinesMetrics } from './deadlines.metrics.js';
import { IngestEndOffsets } from './ingest-clock/ingest-end-offsets.js';

@Module({
  imports: [ConfigModule, PolicyModule, PersistenceModule, MessagingModule, MetricsModule.forRoot({ app: 'deadlines' }), HealthModule.forRoot({ checks: ['postgres', 'redis', 'kafka'] })],
  controllers: [DeadlineIntentsController],
  providers: [
    redisProvider,
    {
      provide: DEADLINE_SCHEDULER,
      inject: [REDIS, CLOCK],
      useFactory: (redis: Redis, clock: Clock) => BullMqDeadlineScheduler.create(redis, () => clock.now().getTime()),
    },
    ApplyIntentsUseCase,
    FireDeadlineUseCase,
    IngestEndOffsets,
    ReconcileUseCase,
    DeadlineWorker,
    DeadlinesMaintenance,
    DeadlinesMetrics,
    OutboxRelay,
  ],
})
export class DeadlinesModule implements OnApplicationShutdown {
  constructor(
    @Inject(DEADLINE_SCHEDULER) private readonly scheduler: BullMqDeadlineScheduler,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.scheduler.close();
    this.redis.disconnect();
  }
}
