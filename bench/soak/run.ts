// `npm run soak`: the four apps as separate processes (as scripts/demo.sh starts them) under a steady simulator load
// of SOAK_RATE events/s for SOAK_SECONDS, sampled every SOAK_SAMPLE_SECONDS: RSS of each app (/proc/<pid>/status
// VmRSS), consumer lag of every group (and messages the broker dropped before ingest read them), ingest's applied
// events/s. Alongside the load, tagged DELIVERY_FAILED scans (SOAK_PROBE_RATE/s, each for a fresh waybill whose
// PICKUP went out ten seconds earlier) measure the latency from the scan being acknowledged by Kafka to the live
// alert reaching an SSE client logged in as the origin branch's staff. Writes bench/results/soak.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { DateTime } from 'luxon';
import pg from 'pg';
import { generateDay } from '../../apps/simulator/src/generator.js';
import { ensureDatabase, migrate } from '#persistence';
import { OwnPostgres, portPreferring } from '../../scripts/chaos/infra.js';

const SECONDS = positive('SOAK_SECONDS', 600);
const RATE = positive('SOAK_RATE', 5000);
const PROBE_RATE = positive('SOAK_PROBE_RATE', 2);
const SAMPLE_MS = positive('SOAK_SAMPLE_SECONDS', 5) * 1000;
/** Probes in the first SOAK_WARMUP_SECONDS (JIT, connection pools, first inserts) are reported apart. */
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(60, SECONDS / 5));
/** After the load stops: how long to wait for the last probes' alerts and for the lag to drain. */
const DRAIN_SECONDS = positive('SOAK_DRAIN_SECONDS', 60);
/** Simulator events generated once and replayed in cycles, each cycle with fresh waybill numbers. */
const DAY_EVENTS = positive('SOAK_DAY_EVENTS', 100_000);
/** Interleaved replays of the day, each at a different hour of it (see produceLoad). */
const LANES = Math.round(positive('SOAK_LANES', 8));
/**
 * The load goes out every SOAK_SEND_MS as one produce request. librdkafka's mock cluster answers a fetch with a single
 * record batch per partition, so the producer's batch size is the consumer's batch size there; a real broker
 * returns up to max.partition.fetch.bytes of batches to a consumer that is behind. Half a second's worth keeps the
 * mock's batches near what a lagging consumer gets from a real broker.
 */
const SEND_MS = positive('SOAK_SEND_MS', 500);
/**
 * Without SOAK_DATABASE_URL the soak starts a PostgreSQL cluster of its own, configured as a production database
 * is: this machine's shared PostgreSQL is a CI instance with autovacuum off (conf.d/90-ci.conf), and ten minutes
 * of this load leave millions of dead rows (outbox marks, snapshot and deadline updates) that nothing reclaims.
 */
const OWN_POSTGRES_SETTINGS = [
  'autovacuum = on',
  "shared_buffers = '1GB'",
  "max_wal_size = '4GB'",
  'fsync = on',
  'synchronous_commit = on',
  'log_checkpoints = on',
  'log_autovacuum_min_duration = 1000',
  ...(process.env.SOAK_POSTGRES_SETTINGS ?? '').split(';').map((line) => line.trim()).filter(Boolean),
];
let DATABASE_URL = process.env.SOAK_DATABASE_URL ?? '';
let ownPostgres: OwnPostgres | null = null;
// However the run ends (an error, Ctrl-C), its cluster does not outlive it.
process.on('exit', () => {
  ownPostgres?.stopNow();
  ownPostgres?.remove();
});
process.on('SIGINT', () => process.exit(130));
const REDIS_URL = process.env.SOAK_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const PORT_BASE = positive('SOAK_PORT_BASE', 3950);
/** Where the figures go (a run at another rate can keep the main run's file). */
const RESULTS_FILE = process.env.SOAK_RESULTS || 'bench/results/soak.json';
const APPS = ['ingest', 'deadlines', 'notifier', 'api'] as const;
type AppName = (typeof APPS)[number];
const INPUT_ROLES = ['scan', 'exception', 'reply', 'action'] as const;
/** Seconds between a probe's PICKUP (with its arrival and out-for-delivery scans) and its DELIVERY_FAILED. */
const PROBE_LEAD_SECONDS = 10;

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (run through `npm run soak`)');
const kafka = new Kafka({ brokers, clientId: 'soak', logLevel: logLevel.NOTHING });
const run = Date.now().toString(36).toUpperCase();
const groupPrefix = `soak${run.toLowerCase()}`;
const prefix = `${groupPrefix}.`;
const runDir = '.run/soak';
const log = (text: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

// ------------------------------------------------------------------------------------------------ set-up

async function freshDatabase(): Promise<void> {
  if (!DATABASE_URL) {
    ownPostgres = new OwnPostgres(await portPreferring(55433), join(tmpdir(), `courier-soak-${run}-pg`), 'courier_soak');
    await ownPostgres.init(OWN_POSTGRES_SETTINGS);
    await ownPostgres.start();
    DATABASE_URL = ownPostgres.url;
  }
  await ensureDatabase(DATABASE_URL);
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await client.end();
  await migrate(DATABASE_URL);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb(); // only this run's db index (SOAK_REDIS_URL)
  redis.disconnect();
}

const children: { name: string; child: ChildProcess }[] = [];

function spawnNode(name: string, script: string, args: string[], env: Record<string, string>): ChildProcess {
  const out = createWriteStream(`${runDir}/${name}.log`);
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  children.push({ name, child });
  return child;
}

async function startApp(name: AppName, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawnNode(name, `dist/apps/${name}/src/main.js`, [], { ...env, HTTP_PORT: String(port) });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${runDir}/${name}.log`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (healthy) {
      log(`${name} up on :${port} (pid ${child.pid})`);
      return child;
    }
    await sleep(500);
  }
  throw new Error(`${name} did not become healthy; see ${runDir}/${name}.log`);
}

async function stopAll(): Promise<void> {
  await stopApps();
  await ownPostgres?.stop();
  // Its log (checkpoints, autovacuum) outlives the cluster, beside the apps' logs.
  if (ownPostgres && existsSync(ownPostgres.logFile)) copyFileSync(ownPostgres.logFile, `${runDir}/postgres.log`);
  ownPostgres?.remove();
  ownPostgres = null;
}

async function stopApps(): Promise<void> {
  await Promise.all(
    children.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

function createUser(env: Record<string, string>, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/apps/api/src/cli/create-user.js', ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`create-user failed: ${err}`))));
  });
}

// ------------------------------------------------------------------------------------------------ load

interface Template {
  topic: string;
  key: string;
  /**
   * The value with `§` after every waybill number and event id, replaced by the cycle's suffix, and `⟦ms|zone⟧`
   * for every timestamp (its time in the simulated day), replaced by the time the cycle maps it to.
   */
  value: string;
  /** Its first timestamp in the simulated day (ms), or null when it has none (a malformed message). */
  ms: number | null;
}

const MARK = '§';
/** A timestamp as a JSON string: `"2026-11-22T08:00:00.000+08:00"` (any offset, or Z). */
const TIMESTAMP = /"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:\d{2})"/g;
const TIME_TOKEN = /⟦(-?\d+)\|([^⟧]*)⟧/g;

/** The day's messages as templates whose waybill numbers and event ids get a per-cycle suffix (fresh waybills). */
function templates(envelopes: ReturnType<typeof generateDay>['envelopes']): { templates: Template[]; firstMs: number; lastMs: number } {
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const tokenise = (json: string) =>
    json.replace(TIMESTAMP, (_, local: string, zone: string) => {
      const ms = Date.parse(`${local}${zone}`);
      firstMs = Math.min(firstMs, ms);
      lastMs = Math.max(lastMs, ms);
      return `"⟦${ms}|${zone}⟧"`;
    });
  const list = envelopes.map((envelope): Template => {
    if (typeof envelope.value === 'string') return { topic: envelope.topic, key: envelope.key, value: envelope.value, ms: null };
    const value = structuredClone(envelope.value) as Record<string, unknown> & { caseRef?: { waybillNo?: string } };
    if (typeof value.waybillNo === 'string') value.waybillNo += MARK;
    if (typeof value.eventId === 'string') value.eventId += `.${MARK}`;
    if (value.caseRef && typeof value.caseRef.waybillNo === 'string') value.caseRef.waybillNo += MARK;
    const value_ = tokenise(JSON.stringify(value));
    const first = /⟦(-?\d+)\|/.exec(value_);
    return { topic: envelope.topic, key: envelope.key, value: value_, ms: first ? Number(first[1]) : null };
  });
  return { templates: list, firstMs, lastMs };
}

/** `ms` as ISO 8601 in the given offset (`Z` or `±hh:mm`), as the simulator wrote it. */
function isoAt(ms: number, zone: string): string {
  if (zone === 'Z') return new Date(ms).toISOString();
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMs = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return new Date(ms + offsetMs).toISOString().slice(0, -1) + zone;
}

/** Base-36 cycle number, three characters: waybill numbers stay within [A-Z0-9]{8,20}. */
const cycleSuffix = (cycle: number) => cycle.toString(36).toUpperCase().padStart(3, '0');

interface Load {
  templates: Template[];
  /** The simulated day's first and last timestamps (ms). */
  firstMs: number;
  lastMs: number;
}

/** One replay of the day within the load: where it is, its cycle (the suffix), and how it stamps event time. */
interface Lane {
  index: number;
  cycle: number;
  startMs: number;
  mapTime: (token: string, ms: string, zone: string) => string;
}

/**
 * Sends the day's messages at RATE/s in LANES interleaved lanes, each replaying the day cycle after cycle, lane q
 * starting at q/LANES of the day. One day compressed into one stream would put the whole evening's failed deliveries
 * (and their cases, deadlines and notifications) into the same few seconds, a burst no network of that average rate
 * produces; with lanes, every moment carries the mix of LANES different hours of the day. (The first pass of lanes
 * q > 0 starts mid-day: some of its waybills begin without their earlier scans.)
 *
 * Event time follows the wall clock, as it does in a network: a lane's cycle has the day's timestamps compressed
 * onto the seconds that cycle takes to send (LANES × the day's length / RATE), from the moment it starts (the order
 * of a waybill's events, and how late a late one is relative to the others, kept). Each waybill's life thus passes
 * in minutes: its scans, registrations and replies arrive as they would, and its deadlines are armed — and most met
 * or cancelled — as in production, with hours still to run.
 */
async function produceLoad(producer: Producer, load: Load, until: number, counters: { sent: number; cycles: number }): Promise<void> {
  const day = load.templates;
  const perBatch = Math.max(1, Math.round((RATE * SEND_MS) / 1000));
  const started = performance.now();
  const cycleMs = ((day.length * LANES) / RATE) * 1000;
  const scale = cycleMs / Math.max(1, load.lastMs - load.firstMs);
  // The simulated-day time of the message at `index` (a malformed one borrows its nearest earlier neighbour's).
  const dayMsAt = (index: number) => {
    for (let i = index; i >= 0; i--) if (day[i]!.ms !== null) return day[i]!.ms!;
    return load.firstMs;
  };
  const lanes = Array.from({ length: LANES }, (_, q) => {
    const index = Math.floor((q * day.length) / LANES);
    // Started so that this lane's first message is stamped now.
    const lane: Lane = {
      index,
      cycle: q,
      startMs: Date.now() - (dayMsAt(index) - load.firstMs) * scale,
      // Reads startMs when called, so it follows the lane into its next cycle.
      mapTime: (_token, ms, zone) => isoAt(lane.startMs + (Number(ms) - load.firstMs) * scale, zone),
    };
    return lane;
  });
  counters.cycles = LANES - 1;
  let turn = 0;
  while (performance.now() < until) {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (let i = 0; i < perBatch; i++) {
      const lane = lanes[turn++ % LANES]!;
      if (lane.index === day.length) {
        lane.index = 0;
        lane.cycle = ++counters.cycles;
        lane.startMs = Date.now();
      }
      const template = day[lane.index++]!;
      const suffix = cycleSuffix(lane.cycle);
      const topic = prefix + template.topic;
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic)!.push({ key: template.key + suffix, value: template.value.replaceAll(MARK, suffix).replace(TIME_TOKEN, lane.mapTime) });
    }
    // gzip record batches: librdkafka's mock cluster keeps only the newest 5 MiB per partition.
    await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.GZIP,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    counters.sent += perBatch;
    const wait = started + (counters.sent / RATE) * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

// ------------------------------------------------------------------------------------------------ probes

interface Probe {
  waybillNo: string;
  /** performance.now() when Kafka acknowledged the DELIVERY_FAILED scan. */
  producedAt: number | null;
  alertedAt: number | null;
  alertType: string | null;
  /** Date.now() at producedAt and alertedAt, to line up with PostgreSQL's timestamps. */
  producedWall?: number;
  alertedWall?: number;
}

/** Now (event time follows the wall clock, see produceLoad) plus `offsetSeconds`, in the network's zone. */
const shanghai = (offsetSeconds: number) =>
  DateTime.now().setZone('Asia/Shanghai').plus({ seconds: offsetSeconds }).toISO({ suppressMilliseconds: false })!;

function probeWaybill(k: number): string {
  return `SK${run}${k.toString().padStart(6, '0')}`.slice(0, 20);
}

/** PICKUP, BRANCH_ARRIVAL and OUT_FOR_DELIVERY of a probe waybill (origin → destination branch). */
function probePrelude(waybillNo: string, origin: string, destination: string) {
  const common = (label: string, at: number, site: string) => ({
    eventId: `${waybillNo}-${label}`,
    schemaVersion: 1,
    waybillNo,
    occurredAt: shanghai(at),
    siteCode: site,
    siteType: 'BRANCH',
  });
  return [
    {
      ...common('pickup', -3 * 3600, origin),
      scanType: 'PICKUP',
      originBranch: origin,
      destinationBranch: destination,
      pieces: 1,
      weightKg: 1.5,
      recipient: { name: '测试', mobile: '13800000000', address: '上海市浦东新区世纪大道 1 号' },
      sender: { name: '发件人', mobile: '13900000000' },
      freightPayer: 'SENDER',
    },
    { ...common('arrival', -3600, destination), scanType: 'BRANCH_ARRIVAL' },
    { ...common('ofd', -1800, destination), scanType: 'OUT_FOR_DELIVERY', courierId: 'C-SOAK' },
  ];
}

function probeFailure(waybillNo: string, destination: string) {
  return {
    eventId: `${waybillNo}-failed`,
    schemaVersion: 1,
    waybillNo,
    occurredAt: shanghai(0),
    siteCode: destination,
    siteType: 'BRANCH',
    scanType: 'DELIVERY_FAILED',
    reasonCode: 'NOBODY_HOME',
    attempt: 1,
  };
}

async function sendScans(producer: Producer, events: { waybillNo: string }[]): Promise<void> {
  await producer.send({
    topic: `${prefix}courier.scan.v1`,
    acks: -1,
    messages: events.map((event) => ({ key: event.waybillNo, value: JSON.stringify(event) })),
  });
}

/** An SSE client of /api/alerts/stream as the given user; calls `onAlert` with every alert's data. */
function connectAlerts(port: number, token: string, onAlert: (type: string, data: { waybillNo?: string }) => void) {
  const controller = new AbortController();
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const connect = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/alerts/stream`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (response.status !== 200 || !response.body) throw new Error(`alert stream answered ${response.status}`);
        // Server-Sent Events: blocks separated by a blank line, `event:` and `data:` lines. (eventsource-parser
        // resolves to its TypeScript sources under this project's `source` export condition, so it is read here.)
        let buffer = '';
        const decoder = new TextDecoder();
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
            const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((m) => m[1]).join('\n');
            if (type === 'ready') ready();
            else if (type !== 'ping' && data) onAlert(type, JSON.parse(data));
          }
        }
        log('alert stream ended; reconnecting');
      } catch (error) {
        if (controller.signal.aborted) return;
        log(`alert stream failed (${(error as Error).message}); reconnecting`);
      }
      await sleep(1000);
    }
  };
  void connect();
  return { ready: isReady, close: () => controller.abort() };
}

// ------------------------------------------------------------------------------------------------ sampling

interface Sample {
  t: number;
  rssMb: Record<AppName, number | null>;
  /** CPU used by each app since the previous sample, in % of one core. */
  cpuPercent: Record<AppName, number | null>;
  ingestLag: number;
  ingestMaxPartitionLag: number;
  /** Messages ingest skipped because the broker had deleted them (retention): committed offsets − messages received. */
  lostToRetention: number;
  /** Messages deleted right now between ingest's committed offset and the partition's start (about to be skipped). */
  deletedAheadOfIngest: number;
  deadlinesLag: number;
  notifierLag: number;
  ingestApplied: number;
  /** Ingest's longest event-loop delay since the previous sample, and its major GC time in that interval (ms). */
  ingestEventLoopMaxMs: number;
  ingestMajorGcMs: number;
  /** PostgreSQL backends waiting for a lock when the sample was taken. */
  postgresLockWaiters: number;
  produced: number;
  probesPending: number;
}

function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null; // exited
  }
}

/** Clock ticks of user + system CPU time of a process (/proc/<pid>/stat fields 14 and 15; 100 ticks/s on Linux). */
function cpuTicks(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far by every part of the run on this machine: the apps, their PostgreSQL backends (by
 * application_name, which the apps set from PGAPPNAME), Redis, the Kafka broker and this load generator.
 * Backends that exit between two readings are missed: the apps keep pooled connections, so there are few.
 */
async function cpuBreakdown(client: pg.Client, pids: Record<AppName, number | undefined>, redisPid: number | null, brokerPid: number | null) {
  const seconds = (pid: number | null | undefined) => (cpuTicks(pid ?? undefined) ?? 0) / TICKS_PER_SECOND;
  const backends = (await client.query<{ pid: number; app: string }>(
    // Background processes (checkpointer, WAL writer, autovacuum launcher …) have no database.
    `SELECT pid, CASE WHEN datname IS NULL THEN 'background' ELSE coalesce(nullif(application_name, ''), 'other') END AS app
     FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`,
  )).rows;
  const postgres: Record<string, Record<number, number>> = {};
  for (const { pid, app } of backends) (postgres[app] ??= {})[pid] = seconds(pid);
  const usage = process.cpuUsage();
  return {
    apps: Object.fromEntries(APPS.map((app) => [app, seconds(pids[app])])) as Record<AppName, number>,
    postgres,
    redis: seconds(redisPid),
    broker: seconds(brokerPid),
    loadGenerator: (usage.user + usage.system) / 1e6,
  };
}

type CpuReading = Awaited<ReturnType<typeof cpuBreakdown>>;

/** CPU seconds per part between two readings (a backend that connected in between counts from zero). */
function cpuUsedBetween(a: CpuReading, b: CpuReading): Record<string, number> {
  const used: Record<string, number> = {};
  for (const app of APPS) used[app] = round(b.apps[app] - a.apps[app]);
  for (const [app, byPid] of Object.entries(b.postgres)) {
    let total = 0;
    for (const [pid, seconds] of Object.entries(byPid)) total += seconds - (a.postgres[app]?.[Number(pid)] ?? 0);
    used[`postgres:${app}`] = round(total);
  }
  used.redis = round(b.redis - a.redis);
  used.broker = round(b.broker - a.broker);
  used.loadGenerator = round(b.loadGenerator - a.loadGenerator);
  return used;
}

async function groupLag(
  admin: Admin,
  groupId: string,
  topics: string[],
): Promise<{ lag: number; maxPartition: number; lost: number; committed: number }> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  let lag = 0;
  let maxPartition = 0;
  let lost = 0;
  let committedSum = 0;
  for (const { topic, partitions } of committed) {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p]));
    for (const { partition, offset } of partitions) {
      const end = ends.get(partition);
      if (!end) continue;
      // No committed offset yet (-1): the group starts at the partition's low watermark.
      const done = Number(offset) < 0 ? Number(end.low) : Number(offset);
      committedSum += done;
      // Lag counts what is still there to read; what retention deleted before it was read counts as lost.
      const behind = Math.max(0, Number(end.high) - Math.max(done, Number(end.low)));
      lag += behind;
      maxPartition = Math.max(maxPartition, behind);
      lost += Math.max(0, Number(end.low) - done);
    }
  }
  return { lag, maxPartition, lost, committed: committedSum };
}

/** From ingest's /metrics: events applied or rejected, and messages received in batches from the input topics. */
async function ingestCounters(port: number): Promise<{ applied: number; received: number; eventLoopMaxMs: number; majorGcSeconds: number }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text());
  let applied = 0;
  let received = 0;
  // prom-client's defaults: the event loop's longest delay since the previous scrape, and GC time so far (no
  // major-GC series yet: none has run).
  const eventLoopMaxMs = Number(/^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
  const majorGcSeconds = Number(/^nodejs_gc_duration_seconds_sum\{[^}]*kind="major"[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0);
  for (const match of text.matchAll(/^courier_ingest_events_total\{[^}]*outcome="(?:applied|rejected)"[^}]*\} (\d+(?:\.\d+)?)$/gm)) {
    applied += Number(match[1]);
  }
  for (const match of text.matchAll(/^courier_ingest_batch_size_sum\{[^}]*topic="([^"]+)"[^}]*\} (\d+(?:\.\d+)?)$/gm)) {
    if (INPUT_ROLES.some((role) => match[1] === `${prefix}courier.${role}.v1`)) received += Number(match[2]);
  }
  return { applied, received, eventLoopMaxMs, majorGcSeconds };
}

// ------------------------------------------------------------------------------------------------ figures

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** RSS growth: mean of the last minute minus mean of the first (a fifth of the run each when it is under 5 min). */
function rssGrowth(samples: Sample[], app: AppName): { firstMb: number; lastMb: number; growthMb: number; windowSeconds: number } {
  const window = SECONDS >= 300 ? 60 : SECONDS / 5;
  const values = (from: number, to: number) =>
    samples.filter((s) => s.t >= from && s.t <= to && s.rssMb[app] !== null).map((s) => s.rssMb[app]!);
  const first = mean(values(0, window));
  const last = mean(values(SECONDS - window, SECONDS));
  return { firstMb: round(first), lastMb: round(last), growthMb: round(last - first), windowSeconds: round(window, 0) };
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  mkdirSync('bench/results', { recursive: true });
  const loadAtStart = loadavg().map((l) => round(l, 2));
  log(`load average ${loadAtStart.join(' ')}; ${SECONDS} s at ${RATE} events/s, ${PROBE_RATE} probes/s; database ${DATABASE_URL || 'own PostgreSQL cluster'}, redis ${REDIS_URL}, topics ${prefix}*`);
  await freshDatabase();

  const dayDate = DateTime.now().setZone('Asia/Shanghai').minus({ days: 1 }).toISODate()!;
  const day = generateDay({ seed: 5, day: dayDate, events: DAY_EVENTS });
  const longest = Math.max(...day.envelopes.map((e) => e.key.length));
  if (longest + 3 > 20) throw new Error(`simulator waybill numbers are ${longest} characters: no room for the cycle suffix`);
  const load = templates(day.envelopes);
  const counters = { sent: 0, cycles: 0 };
  const policyFile = `${runDir}/policy.json`;
  writeFileSync(policyFile, JSON.stringify(day.policyDocument));
  const branches = Object.entries(day.policyDocument.sites as Record<string, { type: string }>)
    .filter(([, site]) => site.type === 'BRANCH')
    .map(([code]) => code);
  const [origin, destination] = [branches[0]!, branches[1]!];
  log(`simulated day ${dayDate}: ${load.templates.length} messages per cycle; probes from ${origin} to ${destination}`);

  const env: Record<string, string> = {
    DATABASE_URL,
    REDIS_URL,
    POLICY_FILE: policyFile,
    TOPIC_PREFIX: prefix,
    KAFKA_GROUP_PREFIX: groupPrefix,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    LOG_LEVEL: 'warn',
    DEADLINE_IDLE_GRACE_SECONDS: '10',
    SMS_GATEWAY_URL: `http://127.0.0.1:${PORT_BASE}/sms`,
    STAFF_WEBHOOK_URL: `http://127.0.0.1:${PORT_BASE}/staff`,
  };
  const token = await createUser(env, ['--name', `soak-${origin}`, '--role', 'BRANCH_STAFF', '--site', origin, '--label', 'soak']);
  spawnNode('gateway', 'dist/scripts/dev/fake-gateway.js', [String(PORT_BASE)], {});
  const ports: Record<AppName, number> = { ingest: PORT_BASE + 1, deadlines: PORT_BASE + 2, notifier: PORT_BASE + 3, api: PORT_BASE + 4 };
  const pids = {} as Record<AppName, number | undefined>;
  for (const app of APPS) pids[app] = (await startApp(app, ports[app], env)).pid;

  const probes: Probe[] = [];
  const byWaybill = new Map<string, Probe>();
  const alerts = connectAlerts(ports.api, token, (type, data) => {
    const probe = data.waybillNo ? byWaybill.get(data.waybillNo) : undefined;
    if (probe && probe.alertedAt === null) {
      probe.alertedAt = performance.now();
      probe.alertedWall = Date.now();
      probe.alertType = type;
    }
  });
  await alerts.ready;

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  const probeProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await Promise.all([producer.connect(), probeProducer.connect()]);
  const admin = kafka.admin();
  await admin.connect();

  // Warm-up: one probe end to end (the API's alert consumer joins its group at the latest offset, so an alert
  // published before it joined is never seen). A fresh waybill every 10 s until one alert arrives.
  let warmUp: Probe | null = null;
  for (let attempt = 0; attempt < 9 && warmUp?.alertedAt == null; attempt++) {
    warmUp = { waybillNo: probeWaybill(900_000 + attempt), producedAt: null, alertedAt: null, alertType: null };
    byWaybill.set(warmUp.waybillNo, warmUp);
    await sendScans(probeProducer, probePrelude(warmUp.waybillNo, origin, destination));
    await sendScans(probeProducer, [probeFailure(warmUp.waybillNo, destination)]);
    warmUp.producedAt = performance.now();
    for (let waited = 0; waited < 10_000 && warmUp.alertedAt === null; waited += 200) await sleep(200);
  }
  if (!warmUp || warmUp.alertedAt === null) throw new Error('no alert for a warm-up probe within 90 s: see .run/soak/*.log');
  log(`warm-up alert after ${round(warmUp.alertedAt - warmUp.producedAt!, 0)} ms (${warmUp.alertType}); load starts`);

  // One connection for the run's own queries (CPU breakdown, lock waiters), named so its cost shows apart.
  const sampleClient = new pg.Client({ connectionString: DATABASE_URL, application_name: 'soak-sampler' });
  await sampleClient.connect();
  const redisPid = await (async () => {
    const redis = new Redis(REDIS_URL);
    try {
      return Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || null;
    } finally {
      redis.disconnect();
    }
  })();
  const brokerPid = Number(readFileSync('.run/kafka.pid', 'utf8').replace(/\D/g, '')) || null;
  const cpuAtLoadStart = await cpuBreakdown(sampleClient, pids, redisPid, brokerPid);

  const samples: Sample[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  const loadDone = produceLoad(producer, load, until, counters).catch((error: Error) => {
    log(`load producer failed: ${error.message}`);
    throw error;
  });

  // Probes: prelude PROBE_LEAD_SECONDS ahead, then the DELIVERY_FAILED on schedule.
  const probeCount = Math.floor(SECONDS * PROBE_RATE);
  const probesDone = (async () => {
    const lead = Math.ceil(PROBE_LEAD_SECONDS * PROBE_RATE);
    for (let k = 1; k <= Math.min(lead, probeCount); k++) await sendScans(probeProducer, probePrelude(probeWaybill(k), origin, destination));
    for (let k = 1; k <= probeCount; k++) {
      const due = started + (k / PROBE_RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const probe: Probe = { waybillNo: probeWaybill(k), producedAt: null, alertedAt: null, alertType: null };
      probes.push(probe);
      byWaybill.set(probe.waybillNo, probe);
      await sendScans(probeProducer, [probeFailure(probe.waybillNo, destination)]);
      probe.producedAt = performance.now();
      probe.producedWall = Date.now();
      if (k + lead <= probeCount) await sendScans(probeProducer, probePrelude(probeWaybill(k + lead), origin, destination));
    }
  })();

  const inputTopics = INPUT_ROLES.map((role) => `${prefix}courier.${role}.v1`);
  let lastCpu = { at: performance.now(), ticks: Object.fromEntries(APPS.map((app) => [app, cpuTicks(pids[app])])) };
  let lastMajorGcSeconds = NaN;
  const takeSample = async (): Promise<Sample> => {
    const [ingest, deadlines, notifier] = await Promise.all([
      groupLag(admin, `${groupPrefix}.ingest`, inputTopics),
      groupLag(admin, `${groupPrefix}.deadlines`, [`${prefix}courier.deadline-intent.v1`]),
      groupLag(admin, `${groupPrefix}.notifier`, [`${prefix}courier.notification-intent.v1`]),
    ]);
    // After the offsets: ingest counts a batch before it commits it, so received ≥ committed unless messages were skipped.
    const ingestCounts = await ingestCounters(ports.ingest).catch(() => ({ applied: NaN, received: NaN, eventLoopMaxMs: NaN, majorGcSeconds: NaN }));
    const lockWaiters = await sampleClient
      .query<{ waiting: number }>(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)
      .then((r) => r.rows[0]!.waiting, () => NaN);
    // GC time in this interval; unknown (NaN) for the first sample and after a failed scrape.
    const majorGcMs = round((ingestCounts.majorGcSeconds - lastMajorGcSeconds) * 1000, 0);
    lastMajorGcSeconds = ingestCounts.majorGcSeconds;
    const now = performance.now();
    const ticks = Object.fromEntries(APPS.map((app) => [app, cpuTicks(pids[app])]));
    const cpuPercent = Object.fromEntries(
      APPS.map((app) => {
        const [before, after] = [lastCpu.ticks[app], ticks[app]];
        const seconds = (now - lastCpu.at) / 1000;
        return [app, before == null || after == null || seconds <= 0 ? null : round(((after - before) / TICKS_PER_SECOND / seconds) * 100, 0)];
      }),
    ) as Record<AppName, number | null>;
    lastCpu = { at: now, ticks };
    const sample: Sample = {
      t: round((now - started) / 1000),
      rssMb: Object.fromEntries(APPS.map((app) => [app, rssMb(pids[app])])) as Record<AppName, number | null>,
      cpuPercent,
      ingestLag: ingest.lag,
      ingestMaxPartitionLag: ingest.maxPartition,
      lostToRetention: Number.isFinite(ingestCounts.received) ? Math.max(0, ingest.committed - ingestCounts.received) : NaN,
      deletedAheadOfIngest: ingest.lost,
      deadlinesLag: deadlines.lag,
      notifierLag: notifier.lag,
      ingestApplied: ingestCounts.applied,
      ingestEventLoopMaxMs: round(ingestCounts.eventLoopMaxMs, 0),
      ingestMajorGcMs: majorGcMs,
      postgresLockWaiters: lockWaiters,
      produced: counters.sent,
      probesPending: probes.filter((p) => p.alertedAt === null).length,
    };
    samples.push(sample);
    return sample;
  };
  const sampler = (async () => {
    while (performance.now() < until) {
      const sample = await takeSample().catch((error: Error) => (log(`sample failed: ${error.message}`), null));
      if (sample && samples.length % 6 === 1) {
        log(
          `t=${sample.t}s produced ${sample.produced} applied ${sample.ingestApplied} lag ${sample.ingestLag} ` +
            `(lost ${sample.lostToRetention}) rss ${APPS.map((a) => `${a} ${sample.rssMb[a]}`).join(' ')} MB, ` +
            `cpu ${APPS.map((a) => `${a} ${sample.cpuPercent[a]}`).join(' ')} %, ` +
            `probes waiting ${sample.probesPending}`,
        );
      }
      await sleep(Math.max(0, started + samples.length * SAMPLE_MS - performance.now()));
    }
  })();

  await Promise.all([loadDone, probesDone, sampler]);
  const loadSeconds = (performance.now() - started) / 1000;
  const cpuAtLoadEnd = await cpuBreakdown(sampleClient, pids, redisPid, brokerPid);
  const cpuSecondsDuringLoad = cpuUsedBetween(cpuAtLoadStart, cpuAtLoadEnd);
  log(`load done: ${counters.sent} events in ${round(loadSeconds)} s; draining up to ${DRAIN_SECONDS} s`);

  // Drain: wait (bounded) for the last alerts and for ingest to catch up, sampling as before.
  const drainUntil = performance.now() + DRAIN_SECONDS * 1000;
  let drained: Sample | null = null;
  while (performance.now() < drainUntil) {
    drained = await takeSample().catch(() => null);
    if (drained && drained.ingestLag === 0 && probes.every((p) => p.alertedAt !== null)) break;
    await sleep(2000);
  }
  const drainSeconds = round(DRAIN_SECONDS - Math.max(0, drainUntil - performance.now()) / 1000);
  alerts.close();
  await Promise.all([producer.disconnect(), probeProducer.disconnect(), admin.disconnect(), sampleClient.end()]);
  await stopApps();

  // Where the time goes, per alerted probe: Kafka → ingest's batch transaction start (outbox.created_at), → the
  // outbox relay's publish (published_at), → the SSE client. PostgreSQL's now() is its transaction's start.
  const stages = await probeStages(probes.filter((p) => p.alertedWall !== undefined && p.producedWall !== undefined));
  const tables = await tablesAtEnd();

  // Figures.
  const measured = probes.filter((p) => p.producedAt !== null);
  const alerted = measured.filter((p) => p.alertedAt !== null);
  const missing = measured.length - alerted.length;
  const end = performance.now();
  // A probe without an alert counts with the time it waited: the percentiles are then lower bounds.
  const latencyOf = (p: Probe) => (p.alertedAt ?? end) - p.producedAt!;
  const steady = measured.filter((p) => p.producedAt! - started >= WARMUP_SECONDS * 1000);
  const latencies = steady.map(latencyOf).sort((a, b) => a - b);
  const latenciesAll = measured.map(latencyOf).sort((a, b) => a - b);
  const loadSamples = samples.filter((s) => s.t <= SECONDS);
  const appliedDuringLoad = (() => {
    const valid = loadSamples.filter((s) => Number.isFinite(s.ingestApplied));
    return valid.length >= 2 ? (valid.at(-1)!.ingestApplied - valid[0]!.ingestApplied) / (valid.at(-1)!.t - valid[0]!.t) : NaN;
  })();
  const growth = Object.fromEntries(APPS.map((app) => [app, rssGrowth(loadSamples, app)]));
  const cpuDuringLoad = Object.fromEntries(
    APPS.map((app) => [app, round(mean(loadSamples.slice(1).map((s) => s.cpuPercent[app]).filter((v): v is number => v !== null)), 0)]),
  );
  const result = {
    alertP99Ms: round(percentile(latencies, 99) ?? NaN, 0),
    maxLag: Math.max(...samples.map((s) => s.ingestLag)),
    rssGrowthMb: Math.max(...APPS.map((app) => growth[app]!.growthMb)),
    alertP50Ms: round(percentile(latencies, 50) ?? NaN, 0),
    alertMaxMs: round(latencies.at(-1) ?? NaN, 0),
    alertTargetP99Ms: 1000,
    alertLatencyIsLowerBound: steady.some((p) => p.alertedAt === null),
    alertWarmupSeconds: WARMUP_SECONDS,
    alertIncludingWarmupMs: {
      p50: round(percentile(latenciesAll, 50) ?? NaN, 0),
      p99: round(percentile(latenciesAll, 99) ?? NaN, 0),
      max: round(latenciesAll.at(-1) ?? NaN, 0),
    },
    probes: { sent: measured.length, alerted: alerted.length, missing, alertTypes: countBy(alerted.map((p) => p.alertType!)) },
    alertStagesMs: stages,
    /** Per probe: seconds into the run when its scan was produced, and its alert latency in ms (null: none). */
    probeLatencies: measured.map((p) => [round((p.producedAt! - started) / 1000), p.alertedAt === null ? null : round(p.alertedAt - p.producedAt!, 0)]),
    rssGrowthMbPerApp: growth,
    /**
     * The same from the third minute on (mean of minute 3 → mean of the last minute): ingest's waybill-state cache
     * (INGEST_STATE_CACHE_ENTRIES, 50 000 states by default) fills during the first two minutes at this rate, and a leak would show after that.
     */
    rssGrowthAfterTwoMinutesMb:
      SECONDS >= 300
        ? Object.fromEntries(APPS.map((app) => {
            const values = (from: number, to: number) => mean(loadSamples.filter((x) => x.t >= from && x.t <= to && x.rssMb[app] !== null).map((x) => x.rssMb[app]!));
            return [app, round(values(SECONDS - 60, SECONDS) - values(120, 180))];
          }))
        : null,
    meanCpuPercentPerApp: cpuDuringLoad,
    /** CPU seconds of every part during the load, against cpuSecondsAvailable (cores × load seconds). */
    cpuSecondsDuringLoad,
    cpuSecondsAvailable: round(cpus().length * loadSeconds),
    maxLagByGroup: {
      ingest: Math.max(...samples.map((s) => s.ingestLag)),
      deadlines: Math.max(...samples.map((s) => s.deadlinesLag)),
      notifier: Math.max(...samples.map((s) => s.notifierLag)),
    },
    finalLag: drained ? { ingest: drained.ingestLag, deadlines: drained.deadlinesLag, notifier: drained.notifierLag } : null,
    lostToRetention: Math.max(0, ...samples.map((s) => s.lostToRetention).filter(Number.isFinite)),
    requestedRate: RATE,
    producedRate: round(counters.sent / loadSeconds, 0),
    ingestRate: round(appliedDuringLoad, 0),
    durationSeconds: SECONDS,
    drainSeconds,
    sampleSeconds: SAMPLE_MS / 1000,
    sendIntervalMs: SEND_MS,
    producedEvents: counters.sent,
    dayCycles: counters.cycles + 1,
    lanes: LANES,
    /** Own cluster (production settings) unless SOAK_DATABASE_URL named another. */
    database: ownPostgres ? { own: true, settings: OWN_POSTGRES_SETTINGS } : { own: false, url: DATABASE_URL },
    tablesAtEnd: tables,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: round(totalmem() / 2 ** 30, 0), node: process.version, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadavg().map((l) => round(l, 2)) },
    command: `SOAK_SECONDS=${SECONDS} SOAK_RATE=${RATE}${RESULTS_FILE === 'bench/results/soak.json' ? '' : ` SOAK_RESULTS=${RESULTS_FILE}`} npm run soak`,
    finishedAt: new Date().toISOString(),
    samples,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  log(
    `alert latency after ${WARMUP_SECONDS} s warm-up: p50 ${result.alertP50Ms} ms, p99 ${result.alertP99Ms} ms` +
      `${result.alertLatencyIsLowerBound ? ' (lower bound)' : ''}, max ${result.alertMaxMs} ms (with warm-up: p99 ${result.alertIncludingWarmupMs.p99} ms); ` +
      `probes ${alerted.length}/${measured.length}; max ingest lag ${result.maxLag}; lost to retention ${result.lostToRetention}; ` +
      `produced ${result.producedRate}/s, ingest ${result.ingestRate}/s; RSS growth ${APPS.map((a) => `${a} ${growth[a]!.growthMb}`).join(', ')} MB`,
  );
  log(
    `CPU seconds during the load (${result.cpuSecondsAvailable} available): ` +
      Object.entries(cpuSecondsDuringLoad).sort(([, a], [, b]) => b - a).map(([part, seconds]) => `${part} ${seconds}`).join(', '),
  );
  log(`wrote ${RESULTS_FILE}`);
  await stopAll();
}

/** The largest tables at the end: live and dead rows, and how often (auto)vacuum reached them. */
async function tablesAtEnd(): Promise<Record<string, { liveRows: number; deadRows: number; sizeMb: number; autovacuums: number }>> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; live: string; dead: string; bytes: string; autovacuums: string }>(
      `SELECT relname AS name, n_live_tup AS live, n_dead_tup AS dead, pg_total_relation_size(relid) AS bytes, autovacuum_count AS autovacuums
       FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 8`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, {
      liveRows: Number(r.live), deadRows: Number(r.dead), sizeMb: round(Number(r.bytes) / 2 ** 20), autovacuums: Number(r.autovacuums),
    }]));
  } finally {
    await client.end();
  }
}

async function probeStages(alerted: Probe[]): Promise<Record<string, { p50: number | null; p99: number | null }>> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; created: Date; published: Date | null }>(
      `SELECT message_key AS key, min(created_at) AS created, min(published_at) AS published FROM outbox
        WHERE topic_role = 'case' AND message_key = ANY($1) GROUP BY message_key`,
      [alerted.map((p) => p.waybillNo)],
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const toIngest: number[] = [];
    const toRelay: number[] = [];
    const toSse: number[] = [];
    for (const probe of alerted) {
      const row = byKey.get(probe.waybillNo);
      if (!row?.published) continue;
      toIngest.push(row.created.getTime() - probe.producedWall!);
      toRelay.push(row.published.getTime() - row.created.getTime());
      toSse.push(probe.alertedWall! - row.published.getTime());
    }
    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };
    return {
      kafkaToIngestBatchStart: summary(toIngest),
      ingestBatchStartToRelayPublish: summary(toRelay),
      relayPublishToSseClient: summary(toSse),
    };
  } finally {
    await client.end();
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

main()
  .catch(async (error: Error) => {
    log(`failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
    await stopAll();
  })
  .finally(() => process.exit());
