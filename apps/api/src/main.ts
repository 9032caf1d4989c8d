import 'reflect-metadata';
import type { Kafka } from 'kafkajs';
import { KAFKA, ensureTopics } from '#messaging';
import { runService } from '#observability';
import { ApiModule } from './api.module.js';
import { configureApiApp } from './api.setup.js';
import { CommandPublisher } from './commands/command-publisher.js';

await runService({
  name: 'api',
  module: ApiModule,
  defaultPort: 3000,
  async beforeListen(app) {
    configureApiApp(app);
    // The API is the producer of the internal HQ review topic: make sure it exists on brokers without auto-creation.
    await ensureTopics(app.get<Kafka>(KAFKA), [app.get(CommandPublisher).topicOf('hqReview')]);
  },
});
