#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { DateTime } from 'luxon';
import { DEFAULT_FAULTS, DEFAULT_PROBLEM_SHARE, DEFAULT_WAYBILLS, generateDay, type GenerateDayOptions } from './generator.js';
import { writePolicyFile } from './network.js';
import { writeJsonFile, writeNdjson } from './sinks/ndjson.js';
import { produceToKafka } from './sinks/kafka.js';
import { summarize } from './summary.js';

const USAGE = `Usage: node dist/apps/simulator/src/main.js [options]

Simulates one local day of a courier sorting network: waybills with their scans, the injected problem
shipments (registrations, replies, case actions) and stream faults, in stream order.

  --seed N              random seed (default 1): same seed and day, same output
  --day YYYY-MM-DD      simulated local day (default: yesterday in --time-zone)
  --time-zone ZONE      network time zone (default Asia/Shanghai)
  --waybills N          waybills picked up (default ${DEFAULT_WAYBILLS})
  --events N            generate at least N events instead (overrides the default waybill count)
  --problem-share F     share of waybills with a problem (default ${DEFAULT_PROBLEM_SHARE})
  --duplicates F        share of events sent twice (default ${DEFAULT_FAULTS.duplicateRate})
  --out-of-order F      share of registrations/replies (and of PICKUPs) overtaken on the stream (default ${DEFAULT_FAULTS.outOfOrderRate})
  --late F              share of registrations arriving hours late (default ${DEFAULT_FAULTS.lateRate})
  --malformed N         malformed messages (default ${DEFAULT_FAULTS.malformed})
  --out FILE            write the stream as NDJSON envelopes {topic, key, value}
  --truth FILE          write the ground truth (injected problems, fault counts, totals)
  --policy-out FILE     write the network's policy file (validated with loadPolicy)
  --kafka               produce to Kafka (brokers from KAFKA_BROKERS, comma-separated)
  --rate N              Kafka messages per second, 0 = as fast as possible (default 0)
  --topic-prefix P      prefix for topic names (default: TOPIC_PREFIX or none)
  -h, --help            this text`;

class UsageError extends Error {}

function numberOption(values: Record<string, unknown>, name: string, check: (n: number) => boolean, rule: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${name} must be ${rule}, got "${String(raw)}"`);
  }
  return value;
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0;
const isShare = (n: number) => n >= 0 && n <= 1;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seed: { type: 'string' },
      day: { type: 'string' },
      'time-zone': { type: 'string' },
      waybills: { type: 'string' },
      events: { type: 'string' },
      'problem-share': { type: 'string' },
      duplicates: { type: 'string' },
      'out-of-order': { type: 'string' },
      late: { type: 'string' },
      malformed: { type: 'string' },
      out: { type: 'string' },
      truth: { type: 'string' },
      'policy-out': { type: 'string' },
      kafka: { type: 'boolean', default: false },
      rate: { type: 'string' },
      'topic-prefix': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const timeZone = values['time-zone'] ?? 'Asia/Shanghai';
  const day = values.day ?? DateTime.now().setZone(timeZone).minus({ days: 1 }).toISODate();
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day) || !DateTime.fromISO(day).isValid) {
    throw new UsageError(`--day must be a date YYYY-MM-DD, got "${values.day}"`);
  }
  const generation: GenerateDayOptions = {
    seed: numberOption(values, 'seed', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'an integer 0..4294967295') ?? 1,
    day,
    timeZone,
    waybills: numberOption(values, 'waybills', (n) => isCount(n) && n >= 1, 'a positive integer'),
    events: numberOption(values, 'events', (n) => isCount(n) && n >= 1, 'a positive integer'),
    problemShare: numberOption(values, 'problem-share', isShare, 'a share between 0 and 1'),
    duplicateRate: numberOption(values, 'duplicates', isShare, 'a share between 0 and 1'),
    outOfOrderRate: numberOption(values, 'out-of-order', isShare, 'a share between 0 and 1'),
    lateRate: numberOption(values, 'late', isShare, 'a share between 0 and 1'),
    malformed: numberOption(values, 'malformed', isCount, 'a whole number'),
  };
  return {
    help: values.help,
    generation,
    out: values.out,
    truth: values.truth,
    policyOut: values['policy-out'],
    kafka: values.kafka,
    rate: numberOption(values, 'rate', (n) => n >= 0, 'a number of messages per second (0 = unlimited)') ?? 0,
    topicPrefix: values['topic-prefix'] ?? process.env.TOPIC_PREFIX ?? '',
  };
}

function brokersFromEnv(): string[] {
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new UsageError('--kafka needs KAFKA_BROKERS (host:port, comma-separated)');
  return brokers;
}

/** A progress bar on a terminal; a plain line every few seconds in logs and CI. */
function progressReporter(total: number): { update(sent: number): void; stop(): void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format: 'kafka [{bar}] {percentage}% | {value}/{total} messages | {rate} msg/s | ETA {eta_formatted}',
      etaBuffer: 50,
    });
    const started = Date.now();
    bar.start(total, 0, { rate: 0 });
    return {
      update: (sent) => bar.update(sent, { rate: Math.round(sent / Math.max(0.001, (Date.now() - started) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let lastLine = 0;
  return {
    update(sent) {
      const now = Date.now();
      if (now - lastLine < 5_000 && sent < total) return;
      lastLine = now;
      const rate = Math.round(sent / Math.max(0.001, (now - started) / 1000));
      process.stderr.write(`kafka: ${sent}/${total} messages (${((sent / total) * 100).toFixed(1)} %), ${rate} msg/s\n`);
    },
    stop: () => undefined,
  };
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const brokers = options.kafka ? brokersFromEnv() : [];
  if (!options.out && !options.kafka && !options.truth && !options.policyOut) {
    throw new UsageError('nothing to do: give --out, --kafka, --truth and/or --policy-out');
  }

  const started = Date.now();
  const day = generateDay(options.generation);
  const generatedMs = Date.now() - started;
  const outputs: string[] = [];

  if (options.policyOut) {
    await writePolicyFile(options.policyOut, day.network);
    outputs.push(`policy ${options.policyOut}`);
  }
  if (options.out) {
    const lines = await writeNdjson(options.out, day.envelopes);
    outputs.push(`${lines} lines to ${options.out}`);
  }
  if (options.truth) {
    await writeJsonFile(options.truth, day.truth);
    outputs.push(`ground truth ${options.truth}`);
  }
  if (options.kafka) {
    const progress = progressReporter(day.envelopes.length);
    try {
      const { sent, elapsedMs } = await produceToKafka(day.envelopes, {
        brokers,
        topicPrefix: options.topicPrefix,
        rate: options.rate,
        onProgress: (count) => progress.update(count),
      });
      outputs.push(`${sent} messages produced to Kafka in ${(elapsedMs / 1000).toFixed(1)} s`);
    } finally {
      progress.stop();
    }
  }
  process.stdout.write(`${summarize(day.truth, { generatedMs, outputs })}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`simulator: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`simulator: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
});
