import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

@Injectable()
export class DeadlinesMetrics {
  readonly fired = new Counter({
    name: 'courier_deadline_fired_total',
    help: 'Deadline timer jobs run, by outcome (MISSED, DECIDED: its deadline was judged, by this job or a sweep; STALE: met, cancelled or judged elsewhere; WAIT: not judgeable yet; ERROR: judgement failed, retried later) and missed rule',
    labelNames: ['outcome', 'rule'],
    registers: [register],
  });
  readonly judged = new Counter({
    name: 'courier_deadline_judged_total',
    help: 'Due deadlines judged by this process (each counted once, at commit), by outcome (MISSED, DECIDED) and missed rule',
    labelNames: ['outcome', 'rule'],
    registers: [register],
  });
  readonly lateness = new Histogram({
    name: 'courier_deadline_fire_lateness_seconds',
    help: 'From a deadline\'s due time to the commit of the transaction that judged it',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
    registers: [register],
  });
  readonly pickupLateness = new Histogram({
    name: 'courier_deadline_pickup_lateness_seconds',
    help: 'From a timer job\'s due time (as armed) to a worker taking it up, first run',
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
