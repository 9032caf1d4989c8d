// `npm run bench:deadlines`: the deadline service's timers at scale, each figure beside a plain BullMQ baseline.
//
//  1. arm:      1M pending deadlines through the product's scheduler (rate; Redis bytes per job from INFO memory)
//               vs. one awaited `queue.add` per job (measured on a sample, BENCH_BASELINE_SAMPLE).
//  2. reconcile: 1M pending rows in PostgreSQL, Redis flushed: the product's reconciler re-arms them all
//               vs. a reconciler that asks BullMQ for each job and adds the missing ones (on the sample).
//  3. fire:     20k complaint cases built through the engine, their C1 deadline due in the same second, judged by
//               the real DeadlineWorker (bulk sweeps) vs. a plain BullMQ worker judging one timer per transaction
//               (BENCH_BASELINE_FIRE cases, concurrency 16). Lateness: due time → commit of the judgement; also
//               due time → the timer job taken up, and the engine's firedAt (missed_at).
//
// Writes bench/results/deadlines.json. Uses Redis db 6 and the database courier_bench_deadlines, and leaves
// both empty / dropped. Sizes: BENCH_ARM_JOBS, BENCH_FIRE_JOBS, BENCH_BASELINE_SAMPLE, BENCH_BASELINE_FIRE;
// BENCH_CONCURRENCY is the worker's DEADLINE_CONCURRENCY.
import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { decide, type WaybillState } from '#domain';
import { envSchema, readPolicyFile, systemClock } from '#config';
import { dataSourceOptions, ensureDatabase, migrate } from '#persistence';
import { BullMqDeadlineScheduler } from '../../apps/deadlines/src/scheduler/bullmq-deadline-scheduler.js';
import type { ScheduledDeadline } from '../../apps/deadlines/src/scheduler/deadline-scheduler.js';
import { ReconcileUseCase } from '../../apps/deadlines/src/usecases/reconcile/reconcile.usecase.js';
import { FireDeadlineUseCase } from '../../apps/deadlines/src/usecases/fire-deadline/fire-deadline.usecase.js';
import { DeadlineWorker } from '../../apps/deadlines/src/deadline.worker.js';
import { DeadlinesMetrics } from '../../apps/deadlines/src/deadlines.metrics.js';
import { seedComplaintCases } from './complaints.js';
import { PlainBullMq } from './baselines.js';
import { TimedScheduler, logJudgements, logPickups, type JudgementLog } from './instrumented.js';

const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ARM_JOBS = size('BENCH_ARM_JOBS', 1_000_000);
const FIRE_JOBS = size('BENCH_FIRE_JOBS', 20_000);
const BASELINE_SAMPLE = size('BENCH_BASELINE_SAMPLE', 50_000);
const BASELINE_FIRE = size('BENCH_BASELINE_FIRE', 5_000);
const CONCURRENCY = size('BENCH_CONCURRENCY', 256);
const BASELINE_CONCURRENCY = 16; // the first version's worker: DEADLINE_CONCURRENCY's former default, one transaction per job
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/6';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/courier_bench_deadlines';
const PAGE = 10_000;
const TARGETS = { bytesPerJob: 600, lateP99Ms: 1000, reconcile1MSeconds: 60 };

const started = performance.now();
const log = (text: string) => process.stderr.write(`[bench:deadlines +${((performance.now() - started) / 1000).toFixed(0)}s] ${text}\n`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deadline ids shaped like the engine's (`${waybill}-${class}-${n}-${rule}-a${attempt}`), due over the next week. */
function syntheticDeadline(i: number, baseMs: number): ScheduledDeadline {
  return { deadlineId: `BM${String(i).padStart(10, '0')}-FAILED_DELIVERY-1-D4-a1`, dueAt: new Date(baseMs + (i % 604_800) * 1000).toISOString() };
}

async function redisInfo(redis: Redis, section: string, field: string): Promise<number> {
  const match = (await redis.info(section)).match(new RegExp(`^${field}:([\\d.]+)`, 'm'));
  return match ? Number(match[1]) : 0;
}
const usedMemory = (redis: Redis) => redisInfo(redis, 'memory', 'used_memory');
const redisCpuSeconds = async (redis: Redis) => (await redisInfo(redis, 'cpu', 'used_cpu_user')) + (await redisInfo(redis, 'cpu', 'used_cpu_sys'));
/** Redis time spent in scripts (BullMQ's and ours) since the last CONFIG RESETSTAT. */
async function scriptSeconds(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=\d+,usec=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0) / 1e6;
}

/** CPU seconds used so far by this database's PostgreSQL backends (Linux /proc; 0 where unreadable). */
async function postgresCpuSeconds(dataSource: DataSource): Promise<Map<number, number>> {
  const rows: { pid: number }[] = await dataSource.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      ticks.set(pid, 0);
    }
  }
  return ticks;
}

function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, at] of after) seconds += at - (before.get(pid) ?? 0);
  return seconds;
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? NaN;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1] ?? NaN) };
}

async function freshDatabase(): Promise<void> {
  await ensureDatabase(DATABASE_URL);
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await client.end();
  await migrate(DATABASE_URL);
}

async function dropDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

// ------------------------------------------------------------------------------------------------ 1. arm

async function benchArm(redis: Redis, scheduler: BullMqDeadlineScheduler) {
  await redis.flushdb();
  const baseMs = Date.now() + 86_400_000;
  const memoryBefore = await usedMemory(redis);
  const redisCpuBefore = await redisCpuSeconds(redis);
  const nodeCpuBefore = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ARM_JOBS; i += PAGE) {
    await scheduler.arm(Array.from({ length: Math.min(PAGE, ARM_JOBS - i) }, (_, j) => syntheticDeadline(i + j, baseMs)));
  }
  const seconds = (performance.now() - t0) / 1000;
  const bytes = (await usedMemory(redis)) - memoryBefore;
  const nodeCpu = process.cpuUsage(nodeCpuBefore);
  const delayed = await scheduler.queue.getDelayedCount();
  if (delayed !== ARM_JOBS) throw new Error(`armed ${ARM_JOBS} deadlines but BullMQ counts ${delayed} delayed jobs`);
  const product = {
    jobs: ARM_JOBS,
    seconds: round(seconds, 1),
    perSec: round(ARM_JOBS / seconds),
    bytesPerJob: round(bytes / ARM_JOBS),
    redisCpuSeconds: round((await redisCpuSeconds(redis)) - redisCpuBefore, 1),
    nodeCpuSeconds: round((nodeCpu.user + nodeCpu.system) / 1e6, 1),
  };
  log(`arm: ${product.jobs} timers in ${product.seconds} s = ${product.perSec}/s, ${product.bytesPerJob} B/job`);

  await redis.flushdb();
  const plain = new PlainBullMq(redis);
  await plain.queue.waitUntilReady();
  const plainMemoryBefore = await usedMemory(redis);
  const t1 = performance.now();
  for (let i = 0; i < BASELINE_SAMPLE; i++) await plain.add(syntheticDeadline(i, baseMs));
  const plainSeconds = (performance.now() - t1) / 1000;
  // BullMQ's event stream is capped (~10k entries): a constant, not a per-job cost, so it is left out.
  const events = Number((await redis.memory('USAGE', plain.queue.toKey('events'))) ?? 0);
  const baseline = {
    jobs: BASELINE_SAMPLE,
    seconds: round(plainSeconds, 1),
    perSec: round(BASELINE_SAMPLE / plainSeconds),
    bytesPerJob: round(((await usedMemory(redis)) - plainMemoryBefore - events) / BASELINE_SAMPLE),
  };
  log(`arm baseline: ${baseline.jobs} queue.add in ${baseline.seconds} s = ${baseline.perSec}/s, ${baseline.bytesPerJob} B/job`);
  await plain.close();
  await redis.flushdb();
  return { product, baseline };
}

// ------------------------------------------------------------------------------------------ 2. reconcile

async function benchReconcile(redis: Redis, dataSource: DataSource, scheduler: BullMqDeadlineScheduler) {
  const t0 = performance.now();
  await dataSource.query(
    `INSERT INTO deadline (deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at)
     SELECT w || '-FAILED_DELIVERY-1-D4-a1', w || '-FAILED_DELIVERY-1', w, 'D4', $1::timestamptz + (g % 604800) * interval '1 second',
            'DB', 'SHB001', 'PENDING', now()
     FROM generate_series(0, $2::int - 1) AS g, LATERAL (SELECT 'BM' || lpad(g::text, 10, '0') AS w) AS wb`,
    [new Date(Date.now() + 86_400_000), ARM_JOBS],
  );
  await dataSource.query('ANALYZE deadline');
  log(`reconcile: ${ARM_JOBS} pending rows inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s; Redis flushed`);

  await redis.flushdb();
  const timed = new TimedScheduler(scheduler);
  const report = await new ReconcileUseCase(dataSource, timed).execute();
  const delayed = await scheduler.queue.getDelayedCount();
  if (report.rearmed !== ARM_JOBS || delayed !== ARM_JOBS) {
    throw new Error(`reconcile re-armed ${report.rearmed} of ${ARM_JOBS} pending deadlines (${delayed} delayed jobs)`);
  }
  const inScheduler = timed.seconds.arm + timed.seconds.missing + timed.seconds.scheduledIds + timed.seconds.cancel;
  const product = {
    pending: ARM_JOBS,
    seconds: round(report.seconds, 1),
    armSeconds: round(timed.seconds.arm, 1),
    liveCheckSeconds: round(timed.seconds.missing, 1),
    orphanScanSeconds: round(timed.seconds.scheduledIds, 1),
    postgresAndLoopSeconds: round(report.seconds - inScheduler, 1),
  };
  log(`reconcile: ${ARM_JOBS} re-armed in ${product.seconds} s (arm ${product.armSeconds}, live check ${product.liveCheckSeconds}, orphan scan ${product.orphanScanSeconds}, PostgreSQL + loop ${product.postgresAndLoopSeconds})`);

  await redis.flushdb();
  const plain = new PlainBullMq(redis);
  const t1 = performance.now();
  const added = await plain.reconcile(dataSource, BASELINE_SAMPLE);
  const plainSeconds = (performance.now() - t1) / 1000;
  const baseline = {
    sample: added,
    seconds: round(plainSeconds, 1),
    perSec: round(added / plainSeconds),
    extrapolated1MSeconds: round((1_000_000 / added) * plainSeconds),
  };
  log(`reconcile baseline: ${added} re-armed one by one in ${baseline.seconds} s = ${baseline.perSec}/s (1M: ~${baseline.extrapolated1MSeconds} s)`);
  await plain.close();
  await redis.flushdb();
  await dataSource.query('TRUNCATE deadline');
  return { product, baseline };
}

// ----------------------------------------------------------------------------------------------- 3. fire

/**
 * Seeds `count` complaint cases whose C1 falls due at one whole second, chosen so that seeding ends before it
 * (from a calibration run of the seeding speed). Returns the C1 deadline ids and their due time.
 */
async function seedDueTogether(dataSource: DataSource, count: number, tag: string): Promise<{ ids: string[]; dueMs: number }> {
  const policy = readPolicyFile('config/policy.default.json');
  const calibration = Math.min(300, count);
  const t0 = performance.now();
  await seedComplaintCases(dataSource, policy, { count: calibration, c1DueMs: Date.now() + 7_200_000, tag: `${tag}K` });
  const msPerCase = (performance.now() - t0) / calibration;
  const dueMs = Math.ceil((Date.now() + count * msPerCase * 1.5 + 20_000) / 1000) * 1000;
  const t1 = performance.now();
  const ids = await seedComplaintCases(dataSource, policy, { count, c1DueMs: dueMs, tag });
  log(`fire: ${count} complaint cases built through the engine in ${((performance.now() - t1) / 1000).toFixed(1)} s; C1 due in ${((dueMs - Date.now()) / 1000).toFixed(1)} s`);
  if (Date.now() > dueMs - 3000) throw new Error('seeding overran the due time it was given; the machine is too busy for this run');
  return { ids, dueMs };
}

/**
 * Waits until every deadline has been judged, watching the judgement log in memory (polling PostgreSQL with a
 * 20 000-id query would itself load the database being measured). Returns when the last judgement committed
 * (ms after the due time).
 */
async function waitForJudgements(judgements: JudgementLog, ids: string[], dueMs: number): Promise<number> {
  for (;;) {
    const judged = ids.filter((id) => judgements.committedAt.has(id)).length;
    if (judged === ids.length) return Math.max(...ids.map((id) => judgements.committedAt.get(id)!)) - dueMs;
    if (Date.now() - dueMs > 900_000) throw new Error(`only ${judged} of ${ids.length} deadlines judged 15 minutes after their due time`);
    await sleep(50);
  }
}

/** Checks in PostgreSQL that every deadline was judged exactly once: MISSED, with one liability record. */
async function verifyJudgedOnce(dataSource: DataSource, ids: string[]): Promise<void> {
  const [{ missed, records }] = await dataSource.query(
    `SELECT count(*) FILTER (WHERE d.status = 'MISSED')::int AS missed,
            (SELECT count(*)::int FROM liability_record l WHERE l.deadline_id = ANY($1) AND l.kind = 'RECORD') AS records
     FROM deadline d WHERE d.deadline_id = ANY($1)`,
    [ids],
  );
  if (missed !== ids.length || records !== ids.length) {
    throw new Error(`${ids.length} deadlines judged, but ${missed} MISSED with ${records} liability records in PostgreSQL`);
  }
}

/** Percentiles of `at(id) - dueMs` over the ids (ms); ids without a time are counted as missing. */
function lateBy(ids: string[], dueMs: number, at: (id: string) => number | undefined) {
  const late = ids.map(at).filter((t): t is number => t !== undefined).map((t) => t - dueMs);
  return { first: round(Math.min(...late)), ...percentiles(late), missing: ids.length - late.length };
}

/** `missed_at` less the due time: the engine's `firedAt`, stamped when the judging transaction began. */
async function firedAtLateness(dataSource: DataSource, ids: string[]) {
  const rows: { ms: number }[] = await dataSource.query(
    `SELECT extract(epoch FROM missed_at - due_at) * 1000 AS ms FROM deadline WHERE deadline_id = ANY($1)`,
    [ids],
  );
  return percentiles(rows.map((r) => Number(r.ms)));
}

/** The engine alone: judging the due C1 of sample states in memory, without PostgreSQL. */
async function engineMsPerTimer(dataSource: DataSource, ids: string[], dueMs: number): Promise<{ msPerTimer: number; stateBytes: number }> {
  const policy = readPolicyFile('config/policy.default.json');
  const sample = ids.slice(0, 500);
  const rows: { state: WaybillState; bytes: number }[] = await dataSource.query(
    `SELECT state, octet_length(state::text) AS bytes FROM waybill_state WHERE waybill_no = ANY($1)`,
    [sample.map((id) => id.split('-')[0])],
  );
  const dueAt = new Date(dueMs).toISOString();
  const t0 = performance.now();
  for (const { state } of rows) {
    decide(state, { kind: 'timer', deadlineId: `${state.waybillNo}-COMPLAINT-1-C1`, caseId: `${state.waybillNo}-COMPLAINT-1`, dueAt, firedAt: dueAt }, policy);
  }
  return {
    msPerTimer: round((performance.now() - t0) / rows.length, 2),
    stateBytes: round(rows.reduce((sum, r) => sum + Number(r.bytes), 0) / rows.length),
  };
}

async function benchFire(redis: Redis, dataSource: DataSource, scheduler: BullMqDeadlineScheduler) {
  const env = envSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', // unused: the bench starts no consumer
    DATABASE_URL,
    REDIS_URL,
    KAFKA_GROUP_PREFIX: 'bench-deadlines', // no ingest progress: the event-time clock holds nothing back
    DEADLINE_CONCURRENCY: String(CONCURRENCY),
  });
  const policy = readPolicyFile('config/policy.default.json');

  const { ids, dueMs } = await seedDueTogether(dataSource, FIRE_JOBS, 'F');
  const armed = await new ReconcileUseCase(dataSource, scheduler).execute();
  log(`fire: the reconciler armed ${armed.rearmed} pending timers (C1, C2, C3 of each case) in ${armed.seconds.toFixed(1)} s`);
  const engine = await engineMsPerTimer(dataSource, ids, dueMs);

  const fire = new FireDeadlineUseCase(dataSource, policy, systemClock, env);
  const judgements = logJudgements(fire);
  const worker = new DeadlineWorker(fire, new DeadlinesMetrics(), redis, env);
  const pickedUp = logPickups(worker.sweeper);
  worker.onApplicationBootstrap();
  await sleep(dueMs - Date.now());
  await redis.config('RESETSTAT');
  const nodeCpuBefore = process.cpuUsage();
  const postgresCpuBefore = await postgresCpuSeconds(dataSource);
  const allJudgedMs = await waitForJudgements(judgements, ids, dueMs);
  const nodeCpu = process.cpuUsage(nodeCpuBefore);
  const postgresCpu = cpuSpent(postgresCpuBefore, await postgresCpuSeconds(dataSource));
  await verifyJudgedOnce(dataSource, ids);
  // The jobs keep running after the judgements (as no-ops): wait for the last one to be taken up.
  for (const t0 = Date.now(); ids.some((id) => !pickedUp.has(id)) && Date.now() - t0 < 600_000; ) await sleep(100);
  const allPickedUpMs = Date.now() - dueMs;
  const bullmqRedisSeconds = await scriptSeconds(redis);
  await worker.onApplicationShutdown();
  const perTransaction = (ms: number) => round(ms / (judgements.sweeps + judgements.named), 1);
  const product = {
    jobs: FIRE_JOBS,
    concurrency: CONCURRENCY,
    loadAverage1mAfter: round(loadavg()[0]!, 1),
    lateness: 'from the due time to the commit of the transaction that judged the deadline (overdue, liability, escalation, alert intents)',
    late: lateBy(ids, dueMs, (id) => judgements.committedAt.get(id)),
    pickupLateness: 'from the due time to the worker taking up the timer job (the sweeps judge most deadlines before their own jobs run)',
    pickup: lateBy(ids, dueMs, (id) => pickedUp.get(id)),
    firedAtLateness: 'missed_at - due_at: the engine\'s firedAt, stamped when the judging transaction began',
    firedAt: await firedAtLateness(dataSource, ids),
    allJudgedMs,
    allPickedUpMs,
    judgedPerSec: round(FIRE_JOBS / (allJudgedMs / 1000)),
    sweepTransactions: judgements.sweeps,
    namedTransactions: judgements.named,
    deadlinesPerTransaction: round(judgements.judged / (judgements.sweeps + judgements.named), 1),
    judgementSeconds: round(judgements.seconds, 1),
    msPerTransaction: {
      lockOrClaim: perTransaction(judgements.phases.lock),
      readRowsAndStates: perTransaction(judgements.phases.read),
      engine: perTransaction(judgements.phases.engine),
      write: perTransaction(judgements.phases.write),
      commit: perTransaction(judgements.phases.commit),
    },
    bullmqRedisSeconds: round(bullmqRedisSeconds, 1),
    // CPU from the due time until every deadline was judged: what the judgements cost, whatever the machine's load.
    workerNodeCpuSeconds: round((nodeCpu.user + nodeCpu.system) / 1e6, 1),
    postgresCpuSeconds: round(postgresCpu, 1),
    cpuMsPerJudgement: round((((nodeCpu.user + nodeCpu.system) / 1e6 + postgresCpu) * 1000) / FIRE_JOBS, 2),
    engineMsPerTimer: engine.msPerTimer,
    stateBytes: engine.stateBytes,
  };
  log(`fire: ${FIRE_JOBS} due together, judged (committed) p50 ${product.late.p50} p99 ${product.late.p99} max ${product.late.max} ms; jobs taken up p50 ${product.pickup.p50} p99 ${product.pickup.p99} ms; all judged after ${allJudgedMs} ms (${product.judgedPerSec}/s) in ${judgements.sweeps} sweeps + ${judgements.named} named transactions`);

  await redis.flushdb();
  const plain = new PlainBullMq(redis);
  const sample = await seedDueTogether(dataSource, BASELINE_FIRE, 'B');
  for (const deadlineId of sample.ids) await plain.add({ deadlineId, dueAt: new Date(sample.dueMs).toISOString() });
  const plainFire = new FireDeadlineUseCase(dataSource, policy, systemClock, env);
  const plainJudgements = logJudgements(plainFire);
  const plainWorker = plain.startWorker(plainFire, BASELINE_CONCURRENCY);
  await sleep(sample.dueMs - Date.now());
  const plainJudgedMs = await waitForJudgements(plainJudgements, sample.ids, sample.dueMs);
  await verifyJudgedOnce(dataSource, sample.ids);
  await plainWorker.close();
  await plain.close();
  const perSec = BASELINE_FIRE / (plainJudgedMs / 1000);
  const baseline = {
    jobs: BASELINE_FIRE,
    concurrency: BASELINE_CONCURRENCY,
    late: lateBy(sample.ids, sample.dueMs, (id) => plainJudgements.committedAt.get(id)),
    allJudgedMs: plainJudgedMs,
    judgedPerSec: round(perSec),
    // At that rate the 20k would take FIRE_JOBS / rate: the last ones that late, the 99th percentile nearly so.
    extrapolatedLateP99Ms: round(((0.99 * FIRE_JOBS) / perSec) * 1000),
  };
  log(`fire baseline: ${BASELINE_FIRE} due together, one transaction per job: p99 ${baseline.late.p99} ms, ${baseline.judgedPerSec}/s`);
  await redis.flushdb();
  return { product, baseline };
}

// ------------------------------------------------------------------------------------------------- main

const loadAtStart = loadavg()[0]!;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const policyOfRedis = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
await freshDatabase();
const dataSource = new DataSource(dataSourceOptions(DATABASE_URL, 10));
await dataSource.initialize();
const scheduler = BullMqDeadlineScheduler.create(redis, () => Date.now());
try {
  log(`${ARM_JOBS} timers to arm and reconcile, ${FIRE_JOBS} to fire together; Redis ${REDIS_URL}, ${DATABASE_URL}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const arm = await benchArm(redis, scheduler);
  const reconcile = await benchReconcile(redis, dataSource, scheduler);
  const fire = await benchFire(redis, dataSource, scheduler);

  const results = {
    bytesPerJob: arm.product.bytesPerJob,
    lateP99Ms: fire.product.late.p99,
    reconcile1MSeconds: round((reconcile.product.seconds * 1_000_000) / ARM_JOBS, 1),
    armPerSec: arm.product.perSec,
    baselineArmPerSec: arm.baseline.perSec,
    lateP50Ms: fire.product.late.p50,
    lateMaxMs: fire.product.late.max,
    baselineBytesPerJob: arm.baseline.bytesPerJob,
    baselineLateP99Ms: fire.baseline.late.p99,
    baselineReconcile1MSeconds: reconcile.baseline.extrapolated1MSeconds,
    targets: TARGETS,
    met: {
      bytesPerJob: arm.product.bytesPerJob <= TARGETS.bytesPerJob,
      lateP99Ms: fire.product.late.p99 <= TARGETS.lateP99Ms,
      reconcile1MSeconds: (reconcile.product.seconds * 1_000_000) / ARM_JOBS <= TARGETS.reconcile1MSeconds,
    },
    arm,
    reconcile,
    fire,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      // The machine is shared: its 1-minute load average (runnable processes per 2 cores) when the run began.
      loadAverage1mAtStart: round(loadAtStart, 1),
      node: process.version,
      redis: (await redis.info('server')).match(/redis_version:(\S+)/)?.[1],
      redisMaxmemoryPolicy: policyOfRedis,
      postgres: ((await dataSource.query('SHOW server_version')) as { server_version: string }[])[0]?.server_version,
    },
    measuredAt: new Date().toISOString(),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/deadlines.json', `${JSON.stringify(results, null, 2)}\n`);

  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  const verdict = (ok: boolean) => (ok ? 'target met' : 'TARGET MISSED');
  console.log(`
deadline timers (bench/results/deadlines.json)
  arm        ${results.armPerSec}/s vs ${results.baselineArmPerSec}/s one queue.add per job: ${ratio(results.armPerSec, results.baselineArmPerSec)} faster
  memory     ${results.bytesPerJob} B/job vs ${results.baselineBytesPerJob} B/job: ${ratio(results.baselineBytesPerJob, results.bytesPerJob)} smaller (≤ ${TARGETS.bytesPerJob}: ${verdict(results.met.bytesPerJob)})
  reconcile  1M re-armed in ${results.reconcile1MSeconds} s vs ~${results.baselineReconcile1MSeconds} s one by one: ${ratio(results.baselineReconcile1MSeconds, results.reconcile1MSeconds)} faster (≤ ${TARGETS.reconcile1MSeconds} s: ${verdict(results.met.reconcile1MSeconds)})
  fire       ${FIRE_JOBS} due in one second, due → judgement committed: p50 ${results.lateP50Ms} / p99 ${results.lateP99Ms} / max ${results.lateMaxMs} ms (≤ ${TARGETS.lateP99Ms} ms: ${verdict(results.met.lateP99Ms)})
             due → timer job taken up: p50 ${fire.product.pickup.p50} / p99 ${fire.product.pickup.p99} / max ${fire.product.pickup.max} ms
             one transaction per job: p99 ${results.baselineLateP99Ms} ms for ${BASELINE_FIRE} (~${fire.baseline.extrapolatedLateP99Ms} ms for ${FIRE_JOBS}); bulk sweeps ${ratio(fire.product.judgedPerSec, fire.baseline.judgedPerSec)} faster
             where it goes: ${fire.product.sweepTransactions} sweeps + ${fire.product.namedTransactions} named transactions, ${fire.product.deadlinesPerTransaction} deadlines each; per transaction ms: ${JSON.stringify(fire.product.msPerTransaction)}; engine ${fire.product.engineMsPerTimer} ms per timer, ${fire.product.stateBytes} B of state JSON per waybill, BullMQ scripts ${fire.product.bullmqRedisSeconds} s of Redis time
             CPU until all judged: worker ${fire.product.workerNodeCpuSeconds} s + PostgreSQL ${fire.product.postgresCpuSeconds} s = ${fire.product.cpuMsPerJudgement} ms per judgement (machine load average ${fire.product.loadAverage1mAfter} on ${cpus().length} CPUs)`);
} finally {
  await scheduler.close();
  await redis.flushdb();
  redis.disconnect();
  await dataSource.destroy();
  await dropDatabase();
}
