import 'reflect-metadata';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, KafkaContext, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { parseInputMessage } from '#contracts';
import { decide, type Policy, type WaybillState } from '#domain';
import { dataSourceOptions, ProblemCaseEntity, WaybillStateEntity } from '#persistence';

/**
 * The baseline the ingest benchmark compares against: what a first NestJS version would do — the
 * stock Kafka transport (one message at a time), the same validation and engine, and a TypeORM
 * `save()` per row (the waybill, then each of its cases). No batching, no bulk statements.
 */
export async function startNaiveConsumer(options: {
  brokers: string[];
  topics: string[];
  groupId: string;
  databaseUrl: string;
  policy: Policy;
  onProcessed: () => void;
}) {
  const POLICY = Symbol('POLICY');

  @Controller()
  class NaiveController {
    constructor(
      @InjectRepository(WaybillStateEntity) private readonly waybills: Repository<WaybillStateEntity>,
      @InjectRepository(ProblemCaseEntity) private readonly cases: Repository<ProblemCaseEntity>,
      @Inject(POLICY) private readonly policy: Policy,
    ) {}

    @EventPattern(options.topics)
    async handle(@Payload() data: unknown, @Ctx() ctx: unknown): Promise<void> {
      const context = ctx as KafkaContext;
      const message = context.getMessage();
      const kind = context.getTopic().split('.').at(-2) as 'scan' | 'exception' | 'reply' | 'action';
      // Nest's Kafka transport hands over the value already decoded (JSON → object): give the validator its text back.
      const value = typeof data === 'string' ? data : JSON.stringify(data);
      const parsed = parseInputMessage({ kind, key: message.key?.toString() ?? null, value, now: new Date() });
      if (parsed.ok) {
        const row = await this.waybills.findOneBy({ waybillNo: parsed.event.waybillNo });
        const decision = decide((row?.state as WaybillState) ?? null, { kind: 'event', event: parsed.event }, this.policy);
        await this.waybills.save({ waybillNo: parsed.event.waybillNo, state: decision.state, version: decision.state.version, updatedAt: new Date() });
        for (const c of decision.state.cases) {
          await this.cases.save({
            caseId: c.id, caseNo: c.caseNo ?? c.id, waybillNo: c.waybillNo, caseClass: c.caseClass, reasonCode: c.reasonCode,
            state: c.state, openedAt: new Date(c.openedAt), closedAt: c.closedAt ? new Date(c.closedAt) : null, outcome: c.outcome,
            originBranch: c.originBranch, deliveringBranch: c.deliveringBranch, reportedBySite: c.reportedBySite,
            detectedBy: c.detectedBy, overdue: c.flags.overdue.length > 0, overdueRules: [], escalationLevel: 0,
            noReply: c.flags.noReply, underHqReview: false, favourableToDb: c.flags.favourableToDb, wrongTarget: c.flags.wrongTarget,
            nextDueAt: null, snapshot: c, updatedAt: new Date(),
          });
        }
      }
      options.onProcessed();
    }
  }

  @Module({
    imports: [
      TypeOrmModule.forRoot(dataSourceOptions(options.databaseUrl, 4)),
      TypeOrmModule.forFeature([WaybillStateEntity, ProblemCaseEntity]),
    ],
    controllers: [NaiveController],
    providers: [{ provide: POLICY, useValue: options.policy }],
  })
  class NaiveModule {}

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(NaiveModule, {
    logger: ['error'],
    transport: Transport.KAFKA,
    options: {
      client: { brokers: options.brokers, clientId: 'naive-baseline' },
      consumer: { groupId: options.groupId },
      subscribe: { fromBeginning: true },
      postfixId: '',
    },
  });
  await app.listen();
  return app;
}
