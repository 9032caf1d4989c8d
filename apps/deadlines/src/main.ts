import 'reflect-metadata';
import { TOPICS, type Topics } from '#config';
import { runService } from '#observability';
import { KAFKA, KafkaBatchServer, ensureTopics } from '#messaging';
import type { Kafka } from 'kafkajs';
import { DeadlinesModule } from './deadlines.module.js';

await runService({
  name: 'deadlines',
  module: DeadlinesModule,
  defaultPort: 3002,
  async beforeListen(app, env) {
    const kafka = app.get<Kafka>(KAFKA);
    const topics = app.get<Topics>(TOPICS);
    await ensureTopics(kafka, [topics.deadlineIntent]);
    app.connectMicroservice(
      {
        strategy: new KafkaBatchServer({
          kafka,
          groupId: `${env.KAFKA_GROUP_PREFIX}.deadlines`,
          topics: { deadlineIntent: topics.deadlineIntent },
        }),
      },
      { inheritAppConfig: true },
    );
  },
});
