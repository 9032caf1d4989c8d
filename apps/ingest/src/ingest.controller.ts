import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OutboxRelay, type KafkaBatch, type KafkaBatchContext } from '#messaging';
import { ProcessBatchUseCase, type InputKind } from './usecases/process-batch/process-batch.usecase.js';

/** One handler per input topic; each receives a whole partition batch (see KafkaBatchServer). */
@Controller()
export class IngestController {
  constructor(
    private readonly processBatch: ProcessBatchUseCase,
    private readonly relay: OutboxRelay,
  ) {}

  @EventPattern('scan')
  onScans(@Payload() batch: KafkaBatch, @Ctx() ctx: unknown): Promise<void> {
    return this.handle('scan', batch, ctx);
  }

  @EventPattern('exception')
  onExceptions(@Payload() batch: KafkaBatch, @Ctx() ctx: unknown): Promise<void> {
    return this.handle('exception', batch, ctx);
  }

  @EventPattern('reply')
  onReplies(@Payload() batch: KafkaBatch, @Ctx() ctx: unknown): Promise<void> {
    return this.handle('reply', batch, ctx);
  }

  @EventPattern('action')
  onActions(@Payload() batch: KafkaBatch, @Ctx() ctx: unknown): Promise<void> {
    return this.handle('action', batch, ctx);
  }

  /** HQ's reviews of liability records, published by the API; applied like events, in the waybill's order. */
  @EventPattern('hqReview')
  onHqReviews(@Payload() batch: KafkaBatch, @Ctx() ctx: unknown): Promise<void> {
    return this.handle('hqReview', batch, ctx);
  }

  /** Evidence stored through the API: it can satisfy a case's §5 gates, so it goes through the engine too. */
  @EventPattern('evidence')
  onEvidence(@Payload() batch: KafkaBatch, @Ctx() ctx: unknown): Promise<void> {
    return this.handle('evidence', batch, ctx);
  }

  // Nest types handler arguments after the payload as unknown; KafkaBatchServer always passes a KafkaBatchContext.
  private async handle(kind: InputKind, batch: KafkaBatch, ctx: unknown): Promise<void> {
    const { controls } = ctx as KafkaBatchContext;
    const outcome = await this.processBatch.execute(kind, controls.groupId, batch);
    await controls.heartbeat();
    if (outcome.applied + outcome.rejected > 0) this.relay.nudge();
  }
}
