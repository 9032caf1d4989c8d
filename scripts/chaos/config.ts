// The two chaos runs: `full` (npm run chaos, the figures in docs/RELIABILITY.md) and `short` (part of npm test).
// Every number can be overridden from the environment (CHAOS_EVENTS, CHAOS_RATE, …) to fit a slower machine.

export interface ChaosProfile {
  name: 'full' | 'short';
  /** Simulator: at least this many events (one seeded day of the network). */
  events: number;
  seed: number;
  /** The simulated day is this many days before today (network time): its deadlines have mostly come due. */
  daysAgo: number;
  /** Messages per second the simulator produces (the day's stream order, paced). */
  rate: number;
  /** SIGKILLs, at least: the run keeps killing while it catches up until it has done this many. */
  kills: number;
  /** Pause between two disruptions (kill, PostgreSQL restart, Redis flush), drawn uniformly. */
  gapMs: [number, number];
  /** How long the process manager waits before starting a killed app again, drawn uniformly. */
  restartDelayMs: [number, number];
  /** PostgreSQL stays down this long between its immediate stop and its start. */
  postgresDownMs: number;
  /** Ingest's idle grace (DEADLINE_IDLE_GRACE_SECONDS): after the stream ends, due deadlines are judged after it. */
  idleGraceSeconds: number;
  /** The whole run, set-up to report, must finish within this; past it the run stops and fails. */
  timeLimitSeconds: number;
  /** Random choices (which app, when): recorded in the report so a run can be repeated. */
  chaosSeed: number;
  /** A control run: the same day and checks without any disruption (CHAOS_CALM=1). */
  calm: boolean;
}

const FULL: ChaosProfile = {
  name: 'full',
  events: 200_000,
  seed: 20261123,
  daysAgo: 3,
  rate: 1_500,
  kills: 24,
  gapMs: [2_000, 7_000],
  restartDelayMs: [200, 2_000],
  postgresDownMs: 4_000,
  idleGraceSeconds: 30,
  timeLimitSeconds: 1_800,
  chaosSeed: 0,
  calm: false,
};

const SHORT: ChaosProfile = {
  name: 'short',
  events: 12_000,
  seed: 20261124,
  daysAgo: 3,
  rate: 1_000,
  kills: 8,
  gapMs: [1_000, 2_500],
  restartDelayMs: [200, 1_000],
  postgresDownMs: 2_000,
  idleGraceSeconds: 10,
  timeLimitSeconds: 170,
  chaosSeed: 0,
  calm: false,
};

const PROFILES = { full: FULL, short: SHORT };

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

export function chaosProfile(name: string): ChaosProfile {
  const base = PROFILES[name as keyof typeof PROFILES];
  if (!base) throw new Error(`unknown chaos profile "${name}" (full or short)`);
  const profile: ChaosProfile = {
    ...base,
    events: envNumber('CHAOS_EVENTS') ?? base.events,
    seed: envNumber('CHAOS_SEED') ?? base.seed,
    rate: envNumber('CHAOS_RATE') ?? base.rate,
    kills: envNumber('CHAOS_KILLS') ?? base.kills,
    timeLimitSeconds: envNumber('CHAOS_TIME_LIMIT_SECONDS') ?? base.timeLimitSeconds,
    idleGraceSeconds: envNumber('CHAOS_IDLE_GRACE_SECONDS') ?? base.idleGraceSeconds,
    chaosSeed: envNumber('CHAOS_RANDOM_SEED') ?? (Date.now() % 0xffffffff),
    calm: process.env.CHAOS_CALM === '1',
  };
  if (profile.calm) profile.kills = 0;
  if (profile.rate <= 0) throw new Error('CHAOS_RATE must be positive: the run is paced');
  return profile;
}
