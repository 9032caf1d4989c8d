import type { INestApplication } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { TOPICS, type AppEnv, type TopicRole, type Topics } from '#config';
import { KafkaBatchServer } from './kafka-batch.server.js';
import { KAFKA } from './messaging.module.js';
import { ensureTopics } from './topic-admin.js';

/**
 * Connects a service's batch consumer: creates the topics it reads (and any it writes, `alsoEnsure`), then
 * subscribes group `${KAFKA_GROUP_PREFIX}.${service}` to the given topic roles, each handled by the
 * `@EventPattern(role)` of the app's controllers.
 */
export async function attachBatchConsumer(
  app: INestApplication,
  env: AppEnv,
  service: string,
  roles: TopicRole[],
  alsoEnsure: TopicRole[] = [],
): Promise<void> {
  const kafka = app.get<Kafka>(KAFKA);
  const topics = app.get<Topics>(TOPICS);
  await ensureTopics(kafka, [...new Set([...roles, ...alsoEnsure])].map((role) => topics[role]));
  const subscribed = Object.fromEntries(roles.map((role) => [role, topics[role]]));
  app.connectMicroservice(
    { strategy: new KafkaBatchServer({ kafka, groupId: `${env.KAFKA_GROUP_PREFIX}.${service}`, topics: subscribed }) },
    { inheritAppConfig: true },
  );
}
