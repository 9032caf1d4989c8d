import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, KafkaContext, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type EntityManager } from 'typeorm';
import { parseInputMessage, toDlqRecord } from '#contracts';
import { decide, type Effect, type Policy, type ProblemCase, type WaybillState } from '#domain';
import {
  CaseTimelineEntity,
  caseSummary,
  dataSourceOptions,
  DeadlineEntity,
  DlqRecordEntity,
  ENTITIES,
  formatCaseNo,
  LiabilityRecordEntity,
  maskContact,
  NotificationEntity,
  ProblemCaseEntity,
  WaybillStateEntity,
} from '#persistence';

/** The outbox has no read entity in the product (it is written in bulk): the baseline saves rows through this one. */
@Entity({ name: 'outbox' })
class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'topic_role', type: 'text' }) topicRole: string;
  @Column({ name: 'message_key', type: 'text' }) messageKey: string;
  @Column({ type: 'jsonb' }) payload: unknown;
}

const when = (iso: string | null | undefined) => (iso ? new Date(iso) : null);

/**
 * The baseline the ingest benchmark compares against: what a first NestJS version would do — the stock
 * Kafka transport (one message at a time through an `@EventPattern` handler), the same validation and
 * engine, and the same rows written, each with a TypeORM `save()`: the waybill snapshot, every case the
 * message changed, its new timeline entries, deadlines, liability records, notifications, outbox messages
 * and DLQ records — one transaction per message. No batching, no bulk statements, no caches.
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
      private readonly dataSource: DataSource,
      @Inject(POLICY) private readonly policy: Policy,
    ) {}

    @EventPattern(options.topics)
    async handle(@Payload() data: unknown, @Ctx() ctx: unknown): Promise<void> {
      const context = ctx as KafkaContext;
      const message = context.getMessage();
      const topic = context.getTopic();
      const kind = topic.split('.').at(-2) as 'scan' | 'exception' | 'reply' | 'action';
      // Nest's Kafka transport hands over the value already decoded (JSON → object): give the validator its text back.
      const value = typeof data === 'string' ? data : JSON.stringify(data);
      const key = message.key?.toString() ?? null;
      const now = new Date();
      await this.dataSource.transaction(async (m) => {
        const reject = (reason: string, field: string | null) =>
          this.saveRejection(m, { ...message, key, value, topic, partition: context.getPartition(), reason, field, rejectedAt: now });
        const parsed = parseInputMessage({ kind, key, value, now });
        if (!parsed.ok) return reject(parsed.reason, parsed.field ?? null);

        const row = await m.findOneBy(WaybillStateEntity, { waybillNo: parsed.event.waybillNo });
        const before = (row?.state as WaybillState | null) ?? null;
        const decision = decide(before, { kind: 'event', event: parsed.event }, this.policy);
        for (const effect of decision.effects) if (effect.type === 'Rejected') await reject(effect.reason, null);
        if (decision.state.version === before?.version) return;

        const state = decision.state;
        for (const c of state.cases) if (!c.caseNo) c.caseNo = await this.nextCaseNo(m, c.caseNoMonth);
        await m.save(WaybillStateEntity, { waybillNo: state.waybillNo, state, version: state.version, updatedAt: now });
        await this.saveEffects(m, state, before, decision.effects, now);
      });
      options.onProcessed();
    }

    private async nextCaseNo(m: EntityManager, month: string): Promise<string> {
      const [{ last_serial: last }] = await m.query(
        `INSERT INTO case_number_counter (month, last_serial) VALUES ($1, 1)
         ON CONFLICT (month) DO UPDATE SET last_serial = case_number_counter.last_serial + 1 RETURNING last_serial`,
        [month],
      );
      return formatCaseNo(month, Number(last));
    }

    private async saveEffects(m: EntityManager, state: WaybillState, before: WaybillState | null, effects: Effect[], now: Date) {
      const changed = new Set<string>();
      for (const effect of effects) {
        if ('caseId' in effect && effect.caseId) changed.add(effect.caseId);
        if ('deadline' in effect && effect.deadline.caseId) changed.add(effect.deadline.caseId);
        if (effect.type === 'LiabilityRecorded') changed.add(effect.record.caseId);
        if (effect.type === 'NotificationIntended') changed.add(effect.notification.caseId);
      }
      for (const c of state.cases.filter((x) => changed.has(x.id))) {
        await m.save(ProblemCaseEntity, caseEntity(c, now));
        const known = before?.cases.find((x) => x.id === c.id)?.timeline.length ?? 0;
        for (const [seq, entry] of c.timeline.entries()) {
          if (seq < known) continue;
          await m.save(CaseTimelineEntity, {
            caseId: c.id, seq, at: new Date(entry.at), fromState: entry.from, toState: entry.to, actor: entry.actor,
            sourceEventId: entry.sourceEventId, note: entry.note ?? null,
          });
        }
        await m.save(OutboxEntity, { topicRole: 'case', messageKey: c.waybillNo, payload: { schemaVersion: 1, type: 'CHANGED', ...caseSummary(c) } });
      }
      for (const effect of effects) {
        if ('deadline' in effect) {
          const d = effect.deadline;
          await m.save(DeadlineEntity, {
            deadlineId: d.id, caseId: d.caseId, waybillNo: state.waybillNo, rule: d.rule, dueAt: new Date(d.dueAt), party: d.party,
            siteCode: d.siteCode, status: d.status, armedAt: new Date(d.armedAt), metAt: when(d.metAt), missedAt: when(d.missedAt), updatedAt: now,
          });
          await m.save(OutboxEntity, {
            topicRole: 'deadlineIntent', messageKey: state.waybillNo,
            payload: { op: d.status === 'PENDING' ? 'ARM' : 'CANCEL', deadlineId: d.id, caseId: d.caseId, waybillNo: state.waybillNo, rule: d.rule, dueAt: d.dueAt },
          });
        } else if (effect.type === 'LiabilityRecorded') {
          const r = effect.record;
          await m.save(LiabilityRecordEntity, {
            recordId: r.id, kind: r.kind, caseId: r.caseId, deadlineId: r.deadlineId, rule: r.rule, party: r.party, siteCode: r.siteCode,
            dueAt: when(r.dueAt), metAt: when(r.metAt), minutesLate: r.minutesLate, evidence: r.evidence ?? {}, favourableToDb: r.favourableToDb,
            refersTo: r.refersTo, reviewer: r.reviewer ?? null, reviewOutcome: r.reviewOutcome ?? null, reason: r.reason ?? null,
            recordedAt: new Date(r.recordedAt),
          });
        } else if (effect.type === 'NotificationIntended') {
          const n = effect.notification;
          await m.save(NotificationEntity, {
            notificationId: n.id, caseId: n.caseId, kind: n.kind, channel: n.channel, targetRole: n.targetRole, targetSite: n.targetSite,
            recipient: n.recipient, recipientMasked: maskContact(n.recipient), templateKey: n.templateKey, body: n.body,
            contentSha256: createHash('sha256').update(n.body).digest('hex'), vars: n.vars ?? {}, eventTime: new Date(n.eventTime),
            notBefore: when(n.notBefore), alreadySent: n.alreadySent, status: n.alreadySent ? 'RECORDED' : 'PENDING', attempts: 0,
            lastError: null, nextAttemptAt: now, sentAt: null, providerRef: null, createdAt: now, updatedAt: now,
          });
          if (!n.alreadySent) {
            await m.save(OutboxEntity, {
              topicRole: 'notificationIntent', messageKey: n.caseId, payload: { notificationId: n.id, caseId: n.caseId, kind: n.kind, notBefore: n.notBefore },
            });
          }
        }
      }
    }

    private async saveRejection(m: EntityManager, rejected: Parameters<typeof toDlqRecord>[0]) {
      await m.save(DlqRecordEntity, {
        topic: rejected.topic, partition: rejected.partition, offset: String(rejected.offset), messageKey: rejected.key?.toString() ?? null,
        reason: rejected.reason, field: rejected.field ?? null, receivedAt: new Date(),
      });
      await m.save(OutboxEntity, { topicRole: 'dlq', messageKey: rejected.key?.toString() ?? '', payload: toDlqRecord(rejected) });
    }
  }

  @Module({
    imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(options.databaseUrl, 4), entities: [...ENTITIES, OutboxEntity] })],
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

function caseEntity(c: ProblemCase, now: Date): ProblemCaseEntity {
  let nextDue: string | null = null;
  for (const d of c.deadlines) if (d.status === 'PENDING' && (!nextDue || d.dueAt < nextDue)) nextDue = d.dueAt;
  const { timeline: _timeline, liabilities: _liabilities, ...snapshot } = c;
  return {
    caseId: c.id, caseNo: c.caseNo!, waybillNo: c.waybillNo, caseClass: c.caseClass, reasonCode: c.reasonCode, state: c.state,
    openedAt: new Date(c.openedAt), closedAt: when(c.closedAt), outcome: c.outcome, originBranch: c.originBranch,
    deliveringBranch: c.deliveringBranch, reportedBySite: c.reportedBySite, detectedBy: c.detectedBy,
    overdue: c.flags.overdue.length > 0, overdueRules: c.flags.overdue.map((o) => o.rule), escalationLevel: c.flags.escalationLevel,
    noReply: c.flags.noReply, underHqReview: c.flags.underHqReview, favourableToDb: c.flags.favourableToDb,
    wrongTarget: c.flags.wrongTarget, nextDueAt: when(nextDue), snapshot, updatedAt: now,
  };
}
