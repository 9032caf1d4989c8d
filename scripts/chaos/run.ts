// The chaos run: every app as its own process against the run's own PostgreSQL, Redis and Kafka; the simulator
// produces a seeded day at a set rate while apps are SIGKILLed at random moments, PostgreSQL is crashed and
// restarted once and Redis is flushed once; then the run waits for the system to settle and checks what must hold
// against the simulator's ground truth and the fake gateway. See docs/RELIABILITY.md.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { DateTime } from 'luxon';
import { INGEST_INPUT_ROLES, TOPIC_NAMES } from '#config';
import { consumerLag } from '#messaging';
import { migrate } from '#persistence';
import { Rng } from '../../apps/simulator/src/prng.js';
import type { GroundTruth } from '../../apps/simulator/src/truth.js';
import { startFakeGateway, type FakeGateway } from '../dev/fake-gateway.js';
import type { ChaosProfile } from './config.js';
import { freeTcpPort, OwnKafka, OwnPostgres, OwnRedis, portPreferring } from './infra.js';
import { checkInvariants, ZERO_FIGURES, type InvariantReport } from './invariants.js';
import { APP_NAMES, MARKER_VARIABLE, PidFile, SupervisedApp, takeRunLock, type AppName } from './supervisor.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Disruption {
  /** Seconds since the producer started. */
  at: number;
  kind: 'kill' | 'postgres-restart' | 'redis-flush';
  app?: AppName;
  pid?: number;
  /** Whether the producer was still producing, or the system was catching up. */
  phase: 'producing' | 'catching-up';
}

export interface ChaosResult {
  profile: ChaosProfile;
  passed: boolean;
  /** Why it failed, when it did. */
  failures: string[];
  events: number;
  kills: number;
  killsByApp: Record<string, number>;
  postgresRestarts: number;
  redisFlushes: number;
  /** App exits the chaos did not cause (each restarted by the supervisor). */
  unexpectedExits: Record<string, number>;
  disruptions: Disruption[];
  timings: { setupSeconds: number; produceSeconds: number; settleSeconds: number; totalSeconds: number };
  invariants: InvariantReport | null;
  logDir: string;
}

export interface RunOptions {
  /** Repository root (dist/ is run from there). */
  root: string;
  log?: (line: string) => void;
}

class TimeLimitExceeded extends Error {}

/** Uniform in [min, max]. */
const between = (rng: Rng, [min, max]: [number, number]) => min + rng.next() * (max - min);

export async function runChaos(profile: ChaosProfile, options: RunOptions): Promise<ChaosResult> {
  const { root } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`[chaos] ${line}\n`));
  const started = Date.now();
  const deadline = started + profile.timeLimitSeconds * 1000;
  const checkTime = (what: string) => {
    if (Date.now() > deadline) throw new TimeLimitExceeded(`time limit of ${profile.timeLimitSeconds} s reached while ${what}`);
  };
  // Separate streams, so that the choice of apps and moments does not depend on how many requests or restarts came first.
  const seeded = new Rng(profile.chaosSeed);
  const rng = seeded.fork('disruptions');
  const restartRng = seeded.fork('restarts');
  const gatewayRng = seeded.fork('gateway');

  const runDir = join(root, '.run', 'chaos', profile.name);
  const logDir = join(runDir, 'logs');
  mkdirSync(runDir, { recursive: true });
  const releaseLock = takeRunLock(join(runDir, 'lock'));
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const pids = new PidFile(join(runDir, 'pids'));
  const leftovers = pids.killLeftovers();
  if (leftovers) log(`stopped ${leftovers} process(es) a previous run left behind`);

  const runId = `chaos${Date.now().toString(36)}`;
  // The cluster lives in a temporary directory the postgres user can own; its path is noted for the next run.
  const clusterNote = join(runDir, 'postgres-dir');
  if (existsSync(clusterNote) && (await OwnPostgres.removeLeftover(readFileSync(clusterNote, 'utf8').trim()))) {
    log('stopped and removed the PostgreSQL cluster a previous run left behind');
  }
  const postgres = new OwnPostgres(await portPreferring(55432), join(tmpdir(), `courier-${runId}-pg`), 'courier_chaos');
  writeFileSync(clusterNote, join(tmpdir(), `courier-${runId}-pg`));
  const redis = new OwnRedis(await portPreferring(56379), join(runDir, 'redis'));
  const kafka = new OwnKafka(root, join(runDir, 'kafka'));
  const apps = new Map<AppName, SupervisedApp>();
  let gateway: FakeGateway | null = null;
  let producer: ChildProcess | null = null;
  let sampler: Sampler | null = null;
  const disruptions: Disruption[] = [];
  const failures: string[] = [];
  let invariants: InvariantReport | null = null;
  let truth: GroundTruth | null = null;
  const timings = { setupSeconds: 0, produceSeconds: 0, settleSeconds: 0, totalSeconds: 0 };

  // Last resort if the process itself exits mid-run (Ctrl-C, an uncaught error): nothing it started outlives it.
  const killEverything = () => {
    for (const app of apps.values()) app.killNow();
    producer?.kill('SIGKILL');
    try {
      if (redis.pid) process.kill(redis.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    kafka.stopNow();
    postgres.stopNow();
    postgres.remove();
  };
  process.once('exit', killEverything);

  try {
    // ---- set-up: services of the run's own, the simulated day, the gateway, the apps.
    log(`profile ${profile.name}: ${profile.events} events at ${profile.rate}/s, ≥ ${profile.kills} kills, time limit ${profile.timeLimitSeconds} s, chaos seed ${profile.chaosSeed}`);
    await postgres.init();
    await postgres.start();
    await redis.start();
    pids.add(redis.pid);
    const brokers = await kafka.start();
    await migrate(postgres.url);
    log(`own PostgreSQL on :${postgres.port}, Redis on :${redis.port}, Kafka mock at ${brokers}`);

    const day = DateTime.now().setZone('Asia/Shanghai').minus({ days: profile.daysAgo }).toISODate()!;
    const simulatorArgs = ['--seed', String(profile.seed), '--events', String(profile.events), '--day', day];
    const policyFile = join(runDir, 'policy.json');
    const truthFile = join(runDir, 'truth.json');
    await execFileAsync(process.execPath, [join(root, 'dist/apps/simulator/src/main.js'), ...simulatorArgs, '--policy-out', policyFile, '--truth', truthFile], {
      cwd: root,
      maxBuffer: 16 << 20,
    });
    truth = JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth;
    // A provider answers in 50–400 ms: a notifier killed meanwhile has sent a message it never saw acknowledged.
    gateway = await startFakeGateway(0, { latencyMs: () => 50 + gatewayRng.next() * 350 });
    prepareNetworkPolicy(policyFile, gateway.url);

    const prefix = runId;
    const env: Record<string, string> = {
      [MARKER_VARIABLE]: runId,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      KAFKA_BROKERS: brokers,
      TOPIC_PREFIX: `${prefix}.`,
      KAFKA_GROUP_PREFIX: prefix,
      POLICY_FILE: policyFile,
      DEADLINE_IDLE_GRACE_SECONDS: String(profile.idleGraceSeconds),
      SMS_GATEWAY_URL: `${gateway.url}/sms`,
      STAFF_WEBHOOK_URL: `${gateway.url}/staff`,
      // A claim left by a killed notifier is taken over after this (production keeps 30 s; the semantics are the same).
      NOTIFY_CLAIM_LEASE_MS: '15000',
    };
    for (const name of APP_NAMES) {
      apps.set(name, new SupervisedApp(name, await freeTcpPort(), root, env, logDir, pids, () => between(restartRng, profile.restartDelayMs)));
    }
    for (const app of apps.values()) app.start();
    for (const app of apps.values()) {
      if (!(await app.waitHealthy(90_000))) throw new Error(`${app.name} did not become healthy (see ${logDir}/${app.name}.log)`);
    }
    timings.setupSeconds = (Date.now() - started) / 1000;
    log(`set-up done in ${timings.setupSeconds.toFixed(0)} s; producing ${truth.events.envelopes} messages of ${day}`);

    // ---- the day, produced at the set rate, while the chaos goes on.
    const produceStarted = Date.now();
    producer = spawn(
      process.execPath,
      [join(root, 'dist/apps/simulator/src/main.js'), ...simulatorArgs, '--kafka', '--rate', String(profile.rate), '--topic-prefix', `${prefix}.`],
      { cwd: root, env: { ...process.env, [MARKER_VARIABLE]: runId, KAFKA_BROKERS: brokers }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    pids.add(producer.pid);
    let producerOutput = '';
    producer.stderr!.on('data', (chunk: Buffer) => (producerOutput = (producerOutput + chunk.toString()).slice(-4000)));
    const produced = new Promise<number | null>((resolve) => producer!.once('exit', (code) => resolve(code)));
    let producing = true;
    void produced.then(() => {
      producing = false;
      timings.produceSeconds = (Date.now() - produceStarted) / 1000;
    });

    sampler = sampleProgress({ postgres, brokers, prefix, log, file: join(logDir, 'progress.log'), since: produceStarted });

    const expectedProduceSeconds = truth.events.envelopes / profile.rate;
    const postgresAt = expectedProduceSeconds * (0.25 + rng.next() * 0.2);
    const redisAt = expectedProduceSeconds * (0.5 + rng.next() * 0.2);
    let killOrder: AppName[] = [];
    const nextApp = () => {
      if (killOrder.length === 0) killOrder = rng.shuffle(APP_NAMES);
      return killOrder.shift()!;
    };
    const elapsed = () => (Date.now() - produceStarted) / 1000;
    const record = (d: Omit<Disruption, 'at' | 'phase'>) => {
      const entry: Disruption = { ...d, at: Math.round(elapsed() * 10) / 10, phase: producing ? 'producing' : 'catching-up' };
      disruptions.push(entry);
      log(`${entry.at.toFixed(1)} s  ${entry.kind}${entry.app ? ` ${entry.app} (pid ${entry.pid})` : ''}  [${entry.phase}]`);
    };

    let kills = 0;
    let postgresRestarted = profile.calm;
    let redisFlushed = profile.calm;
    while (producing || kills < profile.kills || !postgresRestarted || !redisFlushed) {
      await sleep(between(rng, profile.gapMs));
      if (profile.calm) continue;
      checkTime('disrupting the system');
      if (!postgresRestarted && (elapsed() >= postgresAt || !producing)) {
        await postgres.stop('immediate');
        record({ kind: 'postgres-restart' });
        await sleep(profile.postgresDownMs);
        await postgres.start();
        postgresRestarted = true;
        continue;
      }
      if (!redisFlushed && (elapsed() >= redisAt || !producing)) {
        await redis.flushAll();
        record({ kind: 'redis-flush' });
        redisFlushed = true;
        continue;
      }
      if (!producing && kills >= profile.kills) continue;
      const app = apps.get(nextApp())!;
      // Kill it while it works, not while it is still starting (a kill during start-up is covered too, at random).
      if (!(await app.waitHealthy(60_000))) throw new Error(`${app.name} did not come back after a restart (see ${logDir}/${app.name}.log)`);
      const pid = app.kill();
      if (pid) {
        kills += 1;
        record({ kind: 'kill', app: app.name, pid });
      }
    }
    const producerExit = await produced;
    if (producerExit !== 0) throw new Error(`the simulator's producer exited with ${producerExit}: ${producerOutput}`);
    log(`produced ${truth.events.envelopes} messages in ${timings.produceSeconds.toFixed(0)} s; ${kills} kills; waiting for the system to settle`);

    // ---- quiescence, then the invariants.
    const settleStarted = Date.now();
    for (const app of apps.values()) {
      if (!(await app.waitHealthy(90_000))) throw new Error(`${app.name} is not healthy after the chaos (see ${logDir}/${app.name}.log)`);
    }
    const settledAt = await waitForQuiescence({ postgres, redis, brokers, prefix, apps: [...apps.values()], log, checkTime });
    timings.settleSeconds = (Date.now() - settleStarted) / 1000;
    log(`settled after ${timings.settleSeconds.toFixed(0)} s; checking invariants`);

    const client = redis.client();
    try {
      invariants = await checkInvariants({
        truth,
        query: (sql, params) => postgres.query(sql, params),
        redis: client,
        gateway: gateway.records,
        now: settledAt,
      });
    } finally {
      client.disconnect();
    }
    for (const figure of ZERO_FIGURES) {
      if (invariants.figures[figure] !== 0) failures.push(`${figure} = ${invariants.figures[figure]}`);
    }
    if (kills < profile.kills) failures.push(`only ${kills} kills (profile asks for ${profile.kills})`);
    const deleted = sampler.unreadDeletedByBroker();
    if (deleted > 0) failures.push(`the Kafka broker's retention deleted ${deleted} messages before ingest read them: the run is not valid`);
  } catch (error) {
    failures.push(error instanceof TimeLimitExceeded ? error.message : `run aborted: ${(error as Error).stack ?? String(error)}`);
  } finally {
    // ---- clean-up: every process started, whatever happened.
    producer?.kill('SIGKILL');
    await sampler?.stop();
    await Promise.all([...apps.values()].map((app) => app.stop(10_000)));
    await gateway?.close();
    await redis.stop();
    await kafka.stop();
    await postgres.stop('fast');
    execFileAsync('cp', [postgres.logFile, join(logDir, 'postgres.log')]).catch(() => undefined);
    await sleep(100);
    postgres.remove();
    rmSync(clusterNote, { force: true });
    process.removeListener('exit', killEverything);
    releaseLock();
  }

  timings.totalSeconds = (Date.now() - started) / 1000;
  const killsByApp = Object.fromEntries([...apps.values()].map((a) => [a.name, a.stats.kills]));
  const unexpectedExits = Object.fromEntries([...apps.values()].map((a) => [a.name, a.stats.unexpectedExits]));
  return {
    profile,
    passed: failures.length === 0,
    failures,
    events: truth?.events.envelopes ?? 0,
    kills: disruptions.filter((d) => d.kind === 'kill').length,
    killsByApp,
    postgresRestarts: disruptions.filter((d) => d.kind === 'postgres-restart').length,
    redisFlushes: disruptions.filter((d) => d.kind === 'redis-flush').length,
    unexpectedExits,
    disruptions,
    timings,
    invariants,
    logDir,
  };
}

/**
 * The network's policy as the simulator wrote it, with two changes for the run: every site gets a webhook at the
 * fake gateway (so alerts to sites are received, and counted, by something outside the system), and quiet hours
 * are off (customer SMS would otherwise wait for the morning whenever the run happens at night; quiet hours have
 * their own tests in test/notifier).
 */
function prepareNetworkPolicy(file: string, gatewayUrl: string): void {
  const policy = JSON.parse(readFileSync(file, 'utf8')) as { sites: Record<string, { webhookUrl?: string }>; quietHours?: unknown };
  for (const [code, site] of Object.entries(policy.sites)) site.webhookUrl = `${gatewayUrl}/site/${code}`;
  policy.quietHours = { start: '00:00', end: '00:00' };
  writeFileSync(file, JSON.stringify(policy, null, 2));
}

/**
 * Every 2 s, to the run's progress.log: messages on the input topics (brokers' end offsets) against messages
 * ingest has committed (PostgreSQL), and the judged deadlines — where the time went when a run is slow.
 */
function sampleProgress(options: { postgres: OwnPostgres; brokers: string; prefix: string; log: (line: string) => void; file: string; since: number }): Sampler {
  const kafka = new Kafka({ brokers: options.brokers.split(','), clientId: 'chaos-sampler', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const inputs = (['scan', 'exception', 'reply', 'action'] as const).map((role) => `${options.prefix}.${TOPIC_NAMES[role]}`);
  let stopped = false;
  const retentionLoss = new Map<string, number>();
  const loop = (async () => {
    await admin.connect().catch(() => undefined);
    while (!stopped) {
      try {
        let produced = 0;
        const offsets = await Promise.all(inputs.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
        const committed = new Map(
          (await options.postgres.query<{ topic: string; partition: number; next_offset: string }>(
            `SELECT topic, partition, next_offset FROM consumer_offset WHERE group_id = $1`,
            [`${options.prefix}.ingest`],
          )).map((r) => [`${r.topic}:${r.partition}`, Number(r.next_offset)]),
        );
        for (const { topic, partitions } of offsets) {
          for (const p of partitions) {
            produced += Number(p.high);
            // The broker's retention deleted messages ingest had not read yet: the run would lose them for a reason
            // that is not the system's.
            const deletedUnread = Number(p.low) - (committed.get(`${topic}:${p.partition}`) ?? 0);
            if (deletedUnread > 0) retentionLoss.set(`${topic}:${p.partition}`, Math.max(retentionLoss.get(`${topic}:${p.partition}`) ?? 0, deletedUnread));
          }
        }
        const [row] = await options.postgres.query<{ ingested: number; judged: number; cases: number }>(
          `SELECT (SELECT coalesce(sum(next_offset), 0) FROM consumer_offset WHERE group_id = $1)::int AS ingested,
                  (SELECT count(*) FROM deadline WHERE status <> 'PENDING')::int AS judged,
                  (SELECT count(*) FROM problem_case)::int AS cases`,
          [`${options.prefix}.ingest`],
        );
        const t = ((Date.now() - options.since) / 1000).toFixed(0);
        appendFileSync(options.file, `${t} s  produced ${produced}  ingested ${row!.ingested}  lag ${produced - row!.ingested}  cases ${row!.cases}  judged deadlines ${row!.judged}\n`);
      } catch (error) {
        appendFileSync(options.file, `${((Date.now() - options.since) / 1000).toFixed(0)} s  (sample failed: ${(error as Error).message})\n`);
      }
      await sleep(2000);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await admin.disconnect().catch(() => undefined);
    },
    unreadDeletedByBroker: () => [...retentionLoss.values()].reduce((a, b) => a + b, 0),
  };
}

interface Sampler {
  stop(): Promise<void>;
  /** Messages the broker's retention deleted before ingest had read them (seen at a sample). */
  unreadDeletedByBroker(): number;
}

interface QuiescenceProbe {
  postgres: OwnPostgres;
  redis: OwnRedis;
  brokers: string;
  prefix: string;
  apps: SupervisedApp[];
  log: (line: string) => void;
  checkTime: (what: string) => void;
}

/**
 * Settled = nothing left to do anywhere, for several probes in a row: every app healthy, no consumer lag in any
 * group, the outbox published, no due deadline still pending, no notification waiting or in flight (only ones held
 * for later may wait), no timer job waiting or running, and the database's counts unchanged between probes.
 * Returns the time of the first of the final probes: deadlines due before it must have been judged.
 */
async function waitForQuiescence(probe: QuiescenceProbe): Promise<Date> {
  const kafka = new Kafka({ brokers: probe.brokers.split(','), clientId: 'chaos-probe', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const redis = probe.redis.client();
  const topic = (role: keyof typeof TOPIC_NAMES) => `${probe.prefix}.${TOPIC_NAMES[role]}`;
  const groups: [string, string[]][] = [
    [`${probe.prefix}.ingest`, INGEST_INPUT_ROLES.map(topic)],
    [`${probe.prefix}.deadlines`, [topic('deadlineIntent')]],
    [`${probe.prefix}.notifier`, [topic('notificationIntent')]],
  ];
  let previous = '';
  let stableSince: Date | null = null;
  let stableRounds = 0;
  let lastReport = 0;
  try {
    for (;;) {
      probe.checkTime('waiting for the system to settle');
      const probedAt = new Date();
      const problems: string[] = [];
      try {
        for (const app of probe.apps) if (!(await app.healthy())) problems.push(`${app.name} not healthy`);
        let lag = 0;
        for (const [group, topics] of groups) lag += (await consumerLag(admin, group, topics)).reduce((sum, p) => sum + p.lag, 0);
        if (lag > 0) problems.push(`lag ${lag}`);
        const [row] = await probe.postgres.query<Record<string, number>>(
          `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL)::int AS outbox,
                  (SELECT count(*) FROM deadline WHERE status = 'PENDING' AND due_at <= $1)::int AS due,
                  (SELECT count(*) FROM notification WHERE status IN ('PENDING', 'SENDING'))::int AS sending,
                  (SELECT count(*) FROM problem_case)::int AS cases,
                  (SELECT count(*) FROM deadline WHERE status <> 'PENDING')::int AS judged,
                  (SELECT count(*) FROM liability_record)::int AS liabilities,
                  (SELECT count(*) FROM notification WHERE status = 'SENT')::int AS sent`,
          [probedAt],
        );
        if (row!.outbox) problems.push(`outbox ${row!.outbox}`);
        if (row!.due) problems.push(`${row!.due} due deadlines pending`);
        if (row!.sending) problems.push(`${row!.sending} notifications to send`);
        const queued = (await redis.llen('bull:deadlines:wait')) + (await redis.llen('bull:deadlines:active')) + (await redis.zcard('bull:deadlines:prioritized'));
        if (queued) problems.push(`${queued} timer jobs queued or running`);
        const fingerprint = JSON.stringify([row!.cases, row!.judged, row!.liabilities, row!.sent]);
        if (fingerprint !== previous) problems.push('counts still changing');
        previous = fingerprint;
      } catch (error) {
        problems.push(`probe failed: ${(error as Error).message}`);
      }
      if (problems.length === 0) {
        stableSince ??= probedAt;
        stableRounds += 1;
        if (stableRounds >= 3) return stableSince;
      } else {
        stableSince = null;
        stableRounds = 0;
        if (Date.now() - lastReport > 10_000) {
          probe.log(`not settled: ${problems.join(', ')}`);
          lastReport = Date.now();
        }
      }
      await sleep(2000);
    }
  } finally {
    redis.disconnect();
    await admin.disconnect();
  }
}
