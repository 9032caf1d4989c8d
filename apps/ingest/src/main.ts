import 'reflect-metadata';
import { INGEST_INPUT_ROLES, TOPIC_NAMES, type TopicRole } from '#config';
import { attachBatchConsumer } from '#messaging';
import { runService } from '#observability';
import { IngestModule } from './ingest.module.js';

await runService({
  name: 'ingest',
  module: IngestModule,
  defaultPort: 3001,
  // Ingest also creates every other topic of the pipeline (outputs, internal intents) at start.
  beforeListen: (app, env) =>
    attachBatchConsumer(app, env, 'ingest', [...INGEST_INPUT_ROLES], Object.keys(TOPIC_NAMES) as TopicRole[]),
});
