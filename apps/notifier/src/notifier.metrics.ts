import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { Metrics } from '#observability';

/**
 * Notifier metrics. Labels are bounded and impersonal (outcome, channel, notification kind); the Metrics service
 * refuses label names that would carry personal data.
 */
@Injectable()
export class NotifierMetrics {
  readonly outcomes: Counter<'outcome' | 'channel' | 'kind'>;
  readonly sendSeconds: Histogram<'channel' | 'result'>;

  constructor(metrics: Metrics) {
    this.outcomes = metrics.counter({
      name: 'courier_notifications_total',
      help: 'Notification delivery outcomes (sent, already_sent, held, retry, failed, unrouted) by channel and kind',
      labelNames: ['outcome', 'channel', 'kind'],
    });
    this.sendSeconds = metrics.histogram({
      name: 'courier_notification_send_seconds',
      help: 'Time a provider took to accept a notification (rate-limit wait included), by channel and result',
      labelNames: ['channel', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    });
  }
}
