import { Counter, Gauge, Histogram, collectDefaultMetrics, register as defaultRegistry, type Metric, type Registry } from 'prom-client';
import { isPiiFieldName } from '../pii/mask.js';

export interface MetricsOptions {
  /** Service name, added to every series as the `app` label. */
  app: string;
  /** Process metrics (CPU, memory, event-loop lag, GC, handles). Default true. */
  defaultMetrics?: boolean;
  /**
   * Registry to expose. Default: prom-client's global registry, so metrics that code registers there directly
   * (`new Counter({ ..., registers: [register] })`) are served too. Tests pass a fresh one.
   */
  registry?: Registry;
}

export interface MetricDefinition<Label extends string> {
  name: string;
  help: string;
  labelNames?: readonly Label[];
}

export interface HistogramDefinition<Label extends string> extends MetricDefinition<Label> {
  buckets?: readonly number[];
}

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

// prom-client keeps these on the instance without declaring them in its typings.
interface MetricInternals {
  help: string;
  labelNames: readonly string[];
}

// Name of one of prom-client's default metrics: its presence shows they are already collected into a registry.
const DEFAULT_METRICS_MARKER = 'process_cpu_user_seconds_total';

/**
 * The application's Prometheus registry with typed, idempotent definitions: defining a metric that already exists
 * with the same type, help and labels returns the existing one (two providers, or two instances of one, may define
 * the same counter), while a conflicting definition throws at start-up rather than producing a broken series.
 * Label names that would carry personal data (mobile, name, address ...) are refused: metrics are not masked.
 */
export class Metrics {
  readonly registry: Registry;

  constructor(options: MetricsOptions) {
    this.registry = options.registry ?? defaultRegistry;
    this.registry.setDefaultLabels({ app: options.app });
    if (options.defaultMetrics !== false && !this.registry.getSingleMetric(DEFAULT_METRICS_MARKER)) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  counter<const Label extends string = never>(definition: MetricDefinition<Label>): Counter<Label> {
    return this.define(Counter, definition, () => new Counter<Label>({ ...this.configuration(definition) }));
  }

  gauge<const Label extends string = never>(definition: MetricDefinition<Label>): Gauge<Label> {
    return this.define(Gauge, definition, () => new Gauge<Label>({ ...this.configuration(definition) }));
  }

  histogram<const Label extends string = never>(definition: HistogramDefinition<Label>): Histogram<Label> {
    return this.define(Histogram, definition, () =>
      new Histogram<Label>({ ...this.configuration(definition), ...(definition.buckets ? { buckets: [...definition.buckets] } : {}) }),
    );
  }

  /** The exposition text (Prometheus text format) of every metric in the registry. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private configuration<Label extends string>(definition: MetricDefinition<Label>) {
    return {
      name: definition.name,
      help: definition.help,
      labelNames: [...(definition.labelNames ?? [])],
      registers: [this.registry],
    };
  }

  private define<M extends Metric<string>>(type: MetricClass, definition: MetricDefinition<string>, create: () => M): M {
    const labelNames = definition.labelNames ?? [];
    const personal = labelNames.filter((label) => isPiiFieldName(label));
    if (personal.length > 0) {
      throw new Error(`metric ${definition.name}: label(s) ${personal.join(', ')} would put personal data in metrics`);
    }
    const existing = this.registry.getSingleMetric(definition.name);
    if (!existing) return create();

    const internals = existing as unknown as MetricInternals;
    const sameLabels = [...internals.labelNames].sort().join(',') === [...labelNames].sort().join(',');
    if (!(existing instanceof type) || internals.help !== definition.help || !sameLabels) {
      throw new Error(
        `metric ${definition.name} is already registered with another definition ` +
          `(${existing.constructor.name}, labels [${internals.labelNames.join(', ')}], help "${internals.help}")`,
      );
    }
    return existing as unknown as M;
  }
}
