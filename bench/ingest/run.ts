// `npm run bench:ingest`: the ingest pipeline against raw kafkajs and a naive NestJS baseline, in one run.
//
// The same ≥ 200k simulator events are produced to three sets of topics (one per contender, so each
// consumes from a cold start); each contender's rate is measured from its first processed message to
// its last (consumer-group join time excluded for all three). The naive baseline is too slow to run
// the whole day in reasonable time: it gets the whole day of one waybill in NAIVE_SHARE (every event of those
// waybills, in the same order, so the same mix of pickups, hub scans, deliveries and problems as the day) and
// runs until it has processed them, or for at most NAIVE_SECONDS.
//
// Two facts about librdkafka's mock cluster (rdkafka_mock.c) shape how the day is produced:
//  - a partition keeps at most 5 MiB of message sets and silently drops the oldest beyond that (the consumer
//    then gets OFFSET_OUT_OF_RANGE: the "stall after ~18k messages per partition"). The day is produced
//    gzip-compressed — as a production producer would send it — which keeps 200k events near 1.3 MiB per
//    partition; the run checks that no partition lost its start and stops otherwise.
//  - a fetch returns one message set per partition, so the consumer's batch is what one produce request put
//    in that partition. A real broker returns up to maxBytesPerPartition (4 MiB, ~10k events) to a consumer
//    working through a backlog; requests of PRODUCE_CHUNK messages (~2k per partition) stay below that.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { DateTime } from 'luxon';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import { generateDay } from '../../apps/simulator/src/generator.js';
import { ensureDatabase, migrate } from '#persistence';
import { startNaiveConsumer } from './naive-baseline.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const NAIVE_SHARE = Number(process.env.BENCH_NAIVE_SHARE ?? 20);
const NAIVE_SECONDS = Number(process.env.BENCH_NAIVE_SECONDS ?? 120);
const PRODUCE_CHUNK = Number(process.env.BENCH_PRODUCE_CHUNK ?? 8000);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (run through `npm run bench:ingest`)');
const kafka = new Kafka({ brokers, clientId: 'bench-ingest', logLevel: logLevel.NOTHING });
const run = Date.now().toString(36);
const ROLES = ['scan', 'exception', 'reply', 'action'] as const;
const log = (text: string) => process.stderr.write(`[bench:ingest] ${text}\n`);

async function freshDatabase(name: string): Promise<string> {
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await client.end();
  await migrate(url);
  return url;
}

async function produceDay(prefix: string, envelopes: { topic: string; key: string; value: unknown }[]): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let count = 0;
  for (const role of ROLES) {
    const topic = `${prefix}courier.${role}.v1`;
    const messages = envelopes
      .filter((e) => e.topic.endsWith(`.${role}.v1`))
      .map((e) => ({ key: e.key, value: typeof e.value === 'string' ? e.value : JSON.stringify(e.value) }));
    for (let i = 0; i < messages.length; i += PRODUCE_CHUNK) {
      await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: messages.slice(i, i + PRODUCE_CHUNK) });
    }
    count += messages.length;
  }
  await producer.disconnect();
  await assertNothingDropped(prefix);
  return count;
}

/** Every partition must still start at offset 0: the mock cluster drops the oldest data beyond 5 MiB a partition. */
async function assertNothingDropped(prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const role of ROLES) {
      const topic = `${prefix}courier.${role}.v1`;
      for (const { partition, low } of await admin.fetchTopicOffsets(topic)) {
        if (low !== '0') throw new Error(`${topic}[${partition}] starts at ${low}: the broker dropped produced messages (mock cluster: 5 MiB a partition)`);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** CPU seconds a process has used (Linux /proc), or null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** (a) raw kafkajs eachBatch + JSON.parse: the ceiling for any consumer of this broker. */
async function measureRaw(prefix: string, total: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `${prefix}raw`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: ROLES.map((r) => `${prefix}courier.${r}.v1`), fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  await new Promise<void>((done) => {
    void consumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        if (!first) first = performance.now();
        for (const message of batch.messages) {
          try {
            JSON.parse(message.value!.toString());
          } catch {
            // malformed messages are part of the day
          }
        }
        seen += batch.messages.length;
        last = performance.now();
        if (seen >= total) done();
        else if (seen % 50_000 < batch.messages.length) log(`raw: ${seen}/${total}`);
      },
    });
  });
  // kafkajs can hang leaving the group right after the last batch on the mock cluster: do not wait for ever.
  await Promise.race([consumer.disconnect(), new Promise((r) => setTimeout(r, 5000))]);
  return seen / ((last - first) / 1000);
}

interface PipelineMeasure {
  rate: number;
  profile: string;
  /** CPU per event of the ingest process and of its PostgreSQL backends, during the measured span. */
  cpuMicrosPerEvent: { ingest: number; postgres: number } | null;
}

/** (b) the ingest service as deployed: its own process, one transaction per batch. */
async function measurePipeline(prefix: string, total: number, policyFile: string): Promise<PipelineMeasure> {
  const databaseUrl = await freshDatabase('courier_bench_ingest');
  // The profiler slows the service by 10-20 %: the measured run is not profiled unless BENCH_PROFILE=1.
  const profile = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : [];
  const child = spawn(process.execPath, [...profile, 'dist/apps/ingest/src/main.js'], {
    env: {
      ...process.env, DATABASE_URL: databaseUrl, TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix, POLICY_FILE: policyFile,
      HTTP_PORT: '3991', LOG_LEVEL: 'warn', KAFKAJS_NO_PARTITIONER_WARNING: '1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const progress = async () =>
    Number((await client.query('SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offset')).rows[0].n);
  // The service's own connections to its database (the ingest pool and the outbox relay), not this probe's.
  const cpuNow = async () => {
    const { rows } = await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    const backends = new Map<number, number | null>(rows.map((r: { pid: number }) => [r.pid, cpuSeconds(r.pid)]));
    return { ingest: cpuSeconds(child.pid!), backends };
  };
  let first = 0;
  let done = 0;
  let cpuAtFirst: Awaited<ReturnType<typeof cpuNow>> | null = null;
  let cpuAtDone: Awaited<ReturnType<typeof cpuNow>> | null = null;
  for (;;) {
    const n = await progress().catch(() => 0);
    if (n > 0 && !first) {
      first = performance.now();
      cpuAtFirst = await cpuNow();
    }
    if (n >= total) {
      done = performance.now();
      cpuAtDone = await cpuNow();
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await client.end();
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  let cpuMicrosPerEvent: PipelineMeasure['cpuMicrosPerEvent'] = null;
  if (cpuAtFirst?.ingest != null && cpuAtDone?.ingest != null) {
    let postgres = 0;
    for (const [pid, seconds] of cpuAtDone.backends) postgres += (seconds ?? 0) - (cpuAtFirst.backends.get(pid) ?? 0);
    cpuMicrosPerEvent = {
      ingest: Math.round(((cpuAtDone.ingest - cpuAtFirst.ingest) * 1e6) / total),
      postgres: Math.round((postgres * 1e6) / total),
    };
  }
  return { rate: total / ((done - first) / 1000), profile: profile.length ? 'bench/results/profiles' : 'not taken (BENCH_PROFILE=1 takes one)', cpuMicrosPerEvent };
}

/** (c) naive: stock Nest Kafka transport, one message at a time, TypeORM save() per row. */
async function measureNaive(
  prefix: string,
  total: number,
  policy: Parameters<typeof startNaiveConsumer>[0]['policy'],
): Promise<{ rate: number; processed: number; seconds: number }> {
  const databaseUrl = await freshDatabase('courier_bench_naive');
  let processed = 0;
  let first = 0;
  let last = 0;
  const app = await startNaiveConsumer({
    brokers,
    topics: ROLES.map((r) => `${prefix}courier.${r}.v1`),
    groupId: `${prefix}naive`,
    databaseUrl,
    policy,
    onProcessed: () => {
      processed += 1;
      if (!first) first = performance.now();
      last = performance.now();
    },
  });
  while (!first) await new Promise((r) => setTimeout(r, 50));
  const deadline = first + NAIVE_SECONDS * 1000;
  while (processed < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const seconds = (last - first) / 1000;
  await app.close();
  return { rate: processed / seconds, processed, seconds };
}

/** One waybill in `share`, by a stable hash of its number (FNV-1a): all of its events or none. */
function inShare(waybillNo: string, share: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < waybillNo.length; i++) hash = Math.imul(hash ^ waybillNo.charCodeAt(i), 0x01000193) >>> 0;
  return hash % share === 0;
}

const day = DateTime.now().setZone('Asia/Shanghai').minus({ days: 1 }).toISODate()!;
log(`generating ≥ ${EVENTS} events (seed 42, ${day})`);
const simulated = generateDay({ seed: 42, day, events: EVENTS });
mkdirSync('bench/results/profiles', { recursive: true });
const policyFile = 'bench/results/bench-policy.json';
writeFileSync(policyFile, JSON.stringify(simulated.policyDocument));

const prefixes = { raw: `b${run}raw.`, pipeline: `b${run}pipe.`, naive: `b${run}naive.` };
let total = 0;
for (const prefix of [prefixes.raw, prefixes.pipeline]) total = await produceDay(prefix, simulated.envelopes);
const naiveTotal = await produceDay(prefixes.naive, simulated.envelopes.filter((e) => inShare(e.key, NAIVE_SHARE)));
log(`produced ${total} messages to the raw and the pipeline topics, ${naiveTotal} (1 waybill in ${NAIVE_SHARE}) to the naive ones`);

const raw = await measureRaw(prefixes.raw, total);
log(`raw kafkajs eachBatch + JSON.parse: ${raw.toFixed(0)} events/s`);
const pipeline = await measurePipeline(prefixes.pipeline, total, policyFile);
log(`ingest pipeline: ${pipeline.rate.toFixed(0)} events/s (CPU profile in ${pipeline.profile}; CPU per event ${JSON.stringify(pipeline.cpuMicrosPerEvent)} µs)`);
const naiveRun = await measureNaive(prefixes.naive, naiveTotal, simulated.policy);
const naive = naiveRun.rate;
log(`naive baseline: ${naive.toFixed(0)} events/s (${naiveRun.processed} of ${naiveTotal} events in ${naiveRun.seconds.toFixed(1)} s)`);

const result = {
  raw: Math.round(raw),
  pipeline: Math.round(pipeline.rate),
  naive: Math.round(naive),
  pipelineVsRaw: Number((pipeline.rate / raw).toFixed(3)),
  pipelineVsNaive: Number((pipeline.rate / naive).toFixed(1)),
  events: total,
  naiveEvents: naiveRun.processed,
  naiveSeconds: Number(naiveRun.seconds.toFixed(1)),
  producedPerRequest: PRODUCE_CHUNK,
  pipelineCpuMicrosPerEvent: pipeline.cpuMicrosPerEvent,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  measuredAt: new Date().toISOString(),
};
writeFileSync('bench/results/ingest.json', JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(`pipeline / raw = ${result.pipelineVsRaw} (target ≥ 0.5), pipeline / naive = ${result.pipelineVsNaive} (target ≥ 20)`);
process.exit(0);
