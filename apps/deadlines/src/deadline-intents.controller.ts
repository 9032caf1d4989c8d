import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { KafkaBatch } from '#messaging';
import type { DeadlineIntent } from '#persistence';
import { ApplyIntentsUseCase } from './usecases/apply-intents/apply-intents.usecase.js';

@Controller()
export class DeadlineIntentsController {
  private readonly log = new Logger(DeadlineIntentsController.name);

  constructor(private readonly applyIntents: ApplyIntentsUseCase) {}

  /**
   * Intents come from our own outbox. One that cannot be read is a bug: it is logged and skipped
   * (the reconciler arms every pending deadline from PostgreSQL anyway), never allowed to stall the partition.
   */
  @EventPattern('deadlineIntent')
  async onIntents(@Payload() batch: KafkaBatch): Promise<void> {
    const intents: DeadlineIntent[] = [];
    for (const message of batch.messages) {
      try {
        intents.push(JSON.parse(message.value?.toString() ?? '') as DeadlineIntent);
      } catch (error) {
        this.log.error(`unreadable deadline intent at ${batch.topic}/${batch.partition}@${message.offset}: ${(error as Error).message}`);
      }
    }
    await this.applyIntents.execute(intents);
  }
}
