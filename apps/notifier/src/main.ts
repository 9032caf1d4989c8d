import 'reflect-metadata';
import { attachBatchConsumer } from '#messaging';
import { runService } from '#observability';
import { NotifierModule } from './notifier.module.js';

await runService({
  name: 'notifier',
  module: NotifierModule,
  defaultPort: 3003,
  beforeListen: (app, env) => attachBatchConsumer(app, env, 'notifier', ['notificationIntent'], ['notification']),
});
