import { Injectable } from '@nestjs/common';
import { Counter, Histogram, register } from 'prom-client';
import type { BatchOutcome } from './usecases/process-batch/process-batch.usecase.js';

/** What ops watch on the ingest path: events/s by outcome, batch size and latency, DLQ by reason. */
@Injectable()
export class IngestMetrics {
  readonly events = new Counter({
    name: 'courier_ingest_events_total',
    help: 'Input messages by topic and outcome (applied, rejected, replayed = skipped as already applied)',
    labelNames: ['topic', 'outcome'],
    registers: [register],
  });
  readonly dlq = new Counter({
    name: 'courier_dlq_messages_total',
    help: 'Messages sent to the DLQ, by topic and reason',
    labelNames: ['topic', 'reason'],
    registers: [register],
  });
  readonly batchSize = new Histogram({
    name: 'courier_ingest_batch_size',
    help: 'Messages per processed batch',
    labelNames: ['topic'],
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
    registers: [register],
  });
  readonly batchSeconds = new Histogram({
    name: 'courier_ingest_batch_seconds',
    help: 'Time from batch start to transaction commit',
    labelNames: ['topic'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [register],
  });
  readonly writeConflicts = new Counter({
    name: 'courier_ingest_write_conflicts_total',
    help: 'Batches redone with row locks because another writer changed one of their waybills first',
    labelNames: ['topic'],
    registers: [register],
  });
  readonly offsetsSkipped = new Counter({
    name: 'courier_ingest_offsets_skipped_total',
    help: 'Offsets the broker no longer had when their partition was read (retention or compaction ran first); a transactional producer\'s commit markers also leave one-offset gaps',
    labelNames: ['topic'],
    registers: [register],
  });
  readonly casesOpened = new Counter({
    name: 'courier_cases_opened_total',
    help: 'Problem cases opened by the ingest path',
    registers: [register],
  });

  observeBatch(topic: string, outcome: BatchOutcome, seconds: number): void {
    this.events.inc({ topic, outcome: 'applied' }, outcome.applied);
    this.events.inc({ topic, outcome: 'rejected' }, outcome.rejected);
    this.events.inc({ topic, outcome: 'replayed' }, outcome.skippedAsReplayed);
    this.batchSize.observe({ topic }, outcome.received);
    this.batchSeconds.observe({ topic }, seconds);
    this.casesOpened.inc(outcome.casesOpened);
  }
}
