import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule, PolicyModule, POLICY, type NotifierEnv } from '#config';
import { PersistenceModule } from '#persistence';
import { MessagingModule, OutboxRelay } from '#messaging';
import { HealthModule, MetricsModule } from '#observability';
import { CHANNELS } from './channels/notification-channel.js';
import { buildChannels } from './channels/channel-registry.js';
import { createSmtpTransport, type MailTransport } from './channels/smtp-email.channel.js';
import { NOTIFIER_ENV, notifierEnvProvider } from './notifier.env.js';
import { NotifierMetrics } from './notifier.metrics.js';
import { NotificationSweeper } from './notification-sweeper.js';
import { NotificationIntentsController } from './notification-intents.controller.js';
import { DeliverNotificationUseCase } from './usecases/deliver-notification/deliver-notification.usecase.js';
import { RecordHandheldSmsUseCase } from './usecases/record-handheld-sms/record-handheld-sms.usecase.js';

const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

@Module({
  imports: [
    ConfigModule,
    PolicyModule,
    PersistenceModule,
    MessagingModule,
    // Logging (pino, personal data masked: rules §6) is installed for every app by runService.
    MetricsModule.forRoot({ app: 'notifier' }),
    HealthModule.forRoot({ checks: ['postgres', 'kafka'] }),
  ],
  controllers: [NotificationIntentsController],
  providers: [
    notifierEnvProvider,
    {
      provide: MAIL_TRANSPORT,
      inject: [NOTIFIER_ENV],
      useFactory: (env: NotifierEnv): MailTransport | null => (env.SMTP_URL ? createSmtpTransport(env.SMTP_URL, env.NOTIFY_SEND_TIMEOUT_MS) : null),
    },
    { provide: CHANNELS, inject: [NOTIFIER_ENV, POLICY, MAIL_TRANSPORT], useFactory: buildChannels },
    NotifierMetrics,
    DeliverNotificationUseCase,
    RecordHandheldSmsUseCase,
    NotificationSweeper,
    OutboxRelay,
  ],
})
export class NotifierModule implements OnApplicationShutdown {
  constructor(@Inject(MAIL_TRANSPORT) private readonly mailTransport: MailTransport | null) {}

  onApplicationShutdown(): void {
    this.mailTransport?.close();
  }
}
