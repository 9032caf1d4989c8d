import 'reflect-metadata';
import { attachBatchConsumer } from '#messaging';
import { runService } from '#observability';
import { DeadlinesModule } from './deadlines.module.js';

await runService({
  name: 'deadlines',
  module: DeadlinesModule,
  defaultPort: 3002,
  beforeListen: (app, env) => attachBatchConsumer(app, env, 'deadlines', ['deadlineIntent']),
});
