import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { applyBodyLimits } from './http/body-limits.js';
import { QueueBoard } from './ops-queues/queue-board.js';

/**
 * What the API app needs beyond its module, shared by main.ts and the e2e tests: body limits (before Nest adds its
 * default parsers), the ops queue board at /ops/queues and the OpenAPI document at /docs (JSON at /docs-json).
 */
export function configureApiApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  applyBodyLimits(express);
  app.get(QueueBoard).mount(express);
  const config = new DocumentBuilder()
    .setTitle('Courier problem shipments — staff API')
    .setDescription(
      'Branch and hub staff work their site’s problem cases, HQ reviews liability, ops watch the pipeline ' +
        '(rules.md §4, §6, §7). Every route needs `Authorization: Bearer <token>` (tokens come from ' +
        '`node dist/apps/api/src/cli/create-user.js`). Writes are published to the input topics and applied by the ' +
        'ingest service through the rule engine: they answer 202 with the event id.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque token (cps_…)' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
}
