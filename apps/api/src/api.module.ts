import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ConfigModule, PolicyModule } from '#config';
import { PersistenceModule } from '#persistence';
import { MessagingModule } from '#messaging';
import { HealthModule, MetricsModule } from '#observability';
import { AlertFeed } from './alerts/alert-feed.js';
import { AlertsController } from './alerts/alerts.controller.js';
import { ApiMetrics } from './api.metrics.js';
import { BearerAuthGuard } from './auth/bearer-auth.guard.js';
import { MeController } from './auth/me.controller.js';
import { UsersService } from './auth/users.service.js';
import { CasesController } from './cases/cases.controller.js';
import { CasesRepository } from './cases/cases.repository.js';
import { CaseCommandsController } from './commands/case-commands.controller.js';
import { CommandPublisher } from './commands/command-publisher.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { EvidenceController } from './evidence/evidence.controller.js';
import { EvidenceRepository } from './evidence/evidence.repository.js';
import { UploadEvidenceUseCase } from './evidence/usecases/upload-evidence/upload-evidence.usecase.js';
import { LiabilityController } from './liability/liability.controller.js';
import { QueueBoardController } from './ops-queues/queue-board.controller.js';
import { QueueBoard } from './ops-queues/queue-board.js';
import { SummaryController } from './summary/summary.controller.js';
import { SummaryService } from './summary/summary.service.js';

@Module({
  imports: [
    ConfigModule,
    PolicyModule,
    PersistenceModule,
    MessagingModule,
    MetricsModule.forRoot({ app: 'api' }),
    HealthModule.forRoot({ app: 'api', checks: ['postgres', 'redis', 'kafka'] }),
  ],
  controllers: [
    DashboardController,
    MeController,
    SummaryController,
    CasesController,
    CaseCommandsController,
    EvidenceController,
    LiabilityController,
    AlertsController,
    QueueBoardController,
  ],
  providers: [
    { provide: UsersService, inject: [DataSource], useFactory: (dataSource: DataSource) => new UsersService(dataSource) },
    // Deny by default: every route needs a token unless marked @Public.
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    ApiMetrics,
    SummaryService,
    CasesRepository,
    EvidenceRepository,
    UploadEvidenceUseCase,
    CommandPublisher,
    AlertFeed,
    QueueBoard,
  ],
})
export class ApiModule {}
