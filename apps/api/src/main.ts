import 'reflect-metadata';
import type { Kafka } from 'kafkajs';
import { TOPICS, type Topics } from '#config';
import { KAFKA, ensureTopics } from '#messaging';
import { runService } from '#observability';
import { ApiModule } from './api.module.js';
import { configureApiApp } from './api.setup.js';

await runService({
  name: 'api',
  module: ApiModule,
  defaultPort: 3000,
  async beforeListen(app) {
    configureApiApp(app);
    // The API is the producer of the internal HQ review and evidence topics (the latter through the outbox): make sure
    // they exist on brokers without auto-creation.
    const topics = app.get<Topics>(TOPICS);
    await ensureTopics(app.get<Kafka>(KAFKA), [topics.hqReview, topics.evidence]);
  },
});
