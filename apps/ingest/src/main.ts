import 'reflect-metadata';
import { TOPICS, type Topics } from '#config';
import { runService } from '#observability';
import { KAFKA, KafkaBatchServer, ensureTopics } from '#messaging';
import type { Kafka } from 'kafkajs';
import { IngestModule } from './ingest.module.js';

await runService({
  name: 'ingest',
  module: IngestModule,
  defaultPort: 3001,
  async beforeListen(app, env) {
    const kafka = app.get<Kafka>(KAFKA);
    const topics = app.get<Topics>(TOPICS);
    await ensureTopics(kafka, Object.values(topics));
    app.connectMicroservice(
      {
        strategy: new KafkaBatchServer({
          kafka,
          groupId: `${env.KAFKA_GROUP_PREFIX}.ingest`,
          topics: { scan: topics.scan, exception: topics.exception, reply: topics.reply, action: topics.action, hqReview: topics.hqReview },
        }),
      },
      { inheritAppConfig: true },
    );
  },
});
