import 'reflect-metadata';
import { TOPICS, type Topics } from '#config';
import { runService } from '#observability';
import { KAFKA, KafkaBatchServer, ensureTopics } from '#messaging';
import type { Kafka } from 'kafkajs';
import { NotifierModule } from './notifier.module.js';

await runService({
  name: 'notifier',
  module: NotifierModule,
  defaultPort: 3003,
  async beforeListen(app, env) {
    const kafka = app.get<Kafka>(KAFKA);
    const topics = app.get<Topics>(TOPICS);
    await ensureTopics(kafka, [topics.notificationIntent, topics.notification]);
    app.connectMicroservice(
      {
        strategy: new KafkaBatchServer({
          kafka,
          groupId: `${env.KAFKA_GROUP_PREFIX}.notifier`,
          topics: { notificationIntent: topics.notificationIntent },
        }),
      },
      { inheritAppConfig: true },
    );
  },
});
