import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { NotifierEnv } from '#config';
import type { KafkaBatch } from '#messaging';
import { InjectPinoLogger, PinoLogger } from '#observability';
import type { NotificationIntentMessage } from '#persistence';
import { NOTIFIER_ENV } from './notifier.env.js';
import { forEachConcurrently } from './notification-sweeper.js';
import { DeliverNotificationUseCase } from './usecases/deliver-notification/deliver-notification.usecase.js';

/**
 * Intents (`courier.notification-intent.v1`) make delivery prompt; the row in PostgreSQL is the work. A
 * redelivered or repeated intent is harmless: delivery claims the row, and a row that is sent, held or claimed
 * by someone else is skipped.
 */
@Controller()
export class NotificationIntentsController {
  constructor(
    private readonly deliver: DeliverNotificationUseCase,
    @Inject(NOTIFIER_ENV) private readonly env: NotifierEnv,
    @InjectPinoLogger(NotificationIntentsController.name) private readonly log: PinoLogger,
  ) {}

  @EventPattern('notificationIntent')
  async onIntents(@Payload() batch: KafkaBatch): Promise<void> {
    const ids = new Set<string>();
    for (const message of batch.messages) {
      const id = notificationIdOf(message.value);
      if (id) ids.add(id);
      else this.log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset }, 'unreadable notification intent skipped');
    }
    await forEachConcurrently([...ids], this.env.NOTIFY_CONCURRENCY, (id) => this.deliver.execute(id), (id, error) =>
      // The sweeper finds the row again; an intent must not block its partition.
      this.log.error({ notificationId: id, error: (error as Error).message }, 'notification delivery errored'),
    );
  }
}

/** The notification id of an intent message, or null when it is unreadable (the sweeper still finds the row). */
export function notificationIdOf(value: Buffer | null): string | null {
  try {
    const intent = JSON.parse(value?.toString('utf8') ?? '') as Partial<NotificationIntentMessage>;
    return typeof intent.notificationId === 'string' && intent.notificationId.length > 0 ? intent.notificationId : null;
  } catch {
    return null;
  }
}
