import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

@Injectable()
export class DeadlinesMetrics {
  readonly fired = new Counter({
    name: 'courier_deadline_fired_total',
    help: 'Deadline timers run, by outcome (MISSED, DECIDED, STALE; ERROR: judgement failed, retried later) and missed rule',
    labelNames: ['outcome', 'rule'],
    registers: [register],
  });
  readonly lateness = new Histogram({
    name: 'courier_deadline_fire_lateness_seconds',
    help: 'How long after its due time a timer was judged (committed)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
    registers: [register],
  });
  readonly reconcile = new Counter({
    name: 'courier_deadline_reconcile_total',
    help: 'Reconciler repairs: rearmed (pending row without timer) and orphans (timer without pending row)',
    labelNames: ['kind'],
    registers: [register],
  });
  readonly timers = new Gauge({
    name: 'courier_deadline_timers',
    help: 'Timers in the scheduler by state',
    labelNames: ['state'],
    registers: [register],
  });
  readonly overdue = new Gauge({
    name: 'courier_overdue_open',
    help: 'Standing overdue liabilities (not retracted, not cancelled by HQ review) of cases not closed, by rule, class, site and liable party',
    labelNames: ['rule', 'case_class', 'site', 'party'],
    registers: [register],
  });
}
