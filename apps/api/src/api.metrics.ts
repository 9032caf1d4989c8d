import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { Metrics } from '#observability';

/** The API's own series (the pipeline figures are exported by SummaryService). */
@Injectable()
export class ApiMetrics {
  readonly commandsPublished: Counter<'command'>;
  readonly alertsDelivered: Counter<'type'>;
  readonly alertStreams: Gauge;

  constructor(metrics: Metrics) {
    this.commandsPublished = metrics.counter({
      name: 'courier_api_commands_published_total',
      help: 'Staff commands the API published to the input topics, by command topic',
      labelNames: ['command'],
    });
    this.alertsDelivered = metrics.counter({
      name: 'courier_api_alerts_total',
      help: 'Live alerts derived from the case and notification topics, by type',
      labelNames: ['type'],
    });
    this.alertStreams = metrics.gauge({ name: 'courier_api_alert_streams', help: 'Open Server-Sent Events alert streams' });
  }
}
