// The chaos run's own PostgreSQL cluster, Redis server and Kafka mock cluster. The machine's shared services are
// never touched: the run restarts and flushes only what it started itself, on ports it picked.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

const run = promisify(execFile);

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `preferred` when it is free, else any free port (two runs on one machine must not collide). */
export async function portPreferring(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return free ? preferred : freeTcpPort();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The newest installed PostgreSQL's binaries (Debian layout), or PG_BIN. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server found in /usr/lib/postgresql (set PG_BIN to its bin directory)');
  return join(root, versions[0]!, 'bin');
}

/**
 * A throw-away PostgreSQL cluster: initdb into `dataDir`, trust auth on 127.0.0.1 only. PostgreSQL refuses to run as
 * root, so as root the cluster belongs to the `postgres` OS user and every pg_ctl call runs as that user.
 */
export class OwnPostgres {
  readonly url: string;
  private readonly bin = postgresBin();
  private readonly asRoot = process.getuid?.() === 0;

  constructor(
    readonly port: number,
    private readonly dataDir: string,
    database: string,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/${database}`;
  }

  private async pg(tool: string, args: string[]): Promise<string> {
    const command = join(this.bin, tool);
    const { stdout } = this.asRoot
      ? await run('runuser', ['-u', 'postgres', '--', command, ...args], { maxBuffer: 16 << 20 })
      : await run(command, args, { maxBuffer: 16 << 20 });
    return stdout;
  }

  get logFile(): string {
    return join(this.dataDir, 'server.log');
  }

  /** `settings`: extra postgresql.conf lines (`name = value`) after the run's own. */
  async init(settings: string[] = []): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (this.asRoot) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.dataDir, Number(stdout.trim()), Number(gid.trim()));
    }
    const cluster = join(this.dataDir, 'cluster');
    await this.pg('initdb', ['-D', cluster, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    // Durable settings as in production (fsync on): an immediate stop is a crash, and recovery must replay the WAL.
    // Appending keeps the file's owner (root may write it, the postgres user reads it).
    appendFileSync(
      join(cluster, 'postgresql.conf'),
      ['', `port = ${this.port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = ''`, 'max_connections = 200', ...settings, ''].join('\n'),
    );
  }

  async start(): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dataDir, 'cluster'), '-l', this.logFile, '-w', '-t', '60', 'start']);
  }

  /** `immediate`: no checkpoint, clients cut off — recovery replays the WAL at the next start, as after a crash. */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dataDir, 'cluster'), '-m', mode, '-w', '-t', '60', 'stop']).catch(() => undefined);
  }

  /** Synchronous immediate stop, for a process that is exiting (an `exit` handler cannot wait). */
  stopNow(): void {
    const args = [join(this.bin, 'pg_ctl'), '-D', join(this.dataDir, 'cluster'), '-m', 'immediate', '-w', 'stop'];
    try {
      if (this.asRoot) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      else execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
    } catch {
      // not running
    }
  }

  async running(): Promise<boolean> {
    try {
      await this.pg('pg_ctl', ['-D', join(this.dataDir, 'cluster'), 'status']);
      return true;
    } catch {
      return false;
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  remove(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Stops and removes a cluster a previous run left behind (killed before its clean-up), given its directory. */
  static async removeLeftover(dataDir: string): Promise<boolean> {
    if (!existsSync(join(dataDir, 'cluster'))) return false;
    const leftover = new OwnPostgres(0, dataDir, 'postgres');
    await leftover.stop('immediate');
    leftover.remove();
    return true;
  }
}

/** A Redis server of the run's own, nothing on disk (like the machine's), `noeviction` as production requires. */
export class OwnRedis {
  readonly url: string;
  private child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    this.url = `redis://127.0.0.1:${port}/0`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
        '--dir', this.dir, '--logfile', join(this.dir, 'redis.log')],
      // Marked like every process of a run, so that a run killed outright is cleaned up by the next (PidFile).
      { stdio: 'ignore', env: { ...process.env, COURIER_CHAOS_RUN: 'redis' } },
    );
    for (let i = 0; i < 100; i++) {
      if (await this.ping()) return;
      if (this.child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`redis-server did not start on port ${this.port} (see ${join(this.dir, 'redis.log')})`);
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined); // not up yet: the caller retries
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  /** FLUSHALL: every timer and every BullMQ structure gone at once, the connections left up. */
  async flushAll(): Promise<void> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }

  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 3 });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * librdkafka's mock cluster through the project's own script, with its state in the run's directory: a cluster of
 * the run's own, so nothing it does (or that goes wrong in the mock) reaches other users of the machine.
 */
export class OwnKafka {
  brokers = '';

  constructor(
    private readonly root: string,
    private readonly stateDir: string,
  ) {}

  private env() {
    return { ...process.env, KAFKA_MOCK_RUN_DIR: this.stateDir };
  }

  async start(): Promise<string> {
    mkdirSync(this.stateDir, { recursive: true });
    const { stdout } = await run('bash', [join(this.root, 'scripts/kafka-mock.sh'), 'start'], { env: this.env() });
    this.brokers = stdout.trim();
    if (!this.brokers) throw new Error('the Kafka mock cluster did not announce its address');
    return this.brokers;
  }

  async stop(): Promise<void> {
    await run('bash', [join(this.root, 'scripts/kafka-mock.sh'), 'stop'], { env: this.env() }).catch(() => undefined);
  }

  /** Synchronous stop, for a process that is exiting. */
  stopNow(): void {
    try {
      execFileSync('bash', [join(this.root, 'scripts/kafka-mock.sh'), 'stop'], { env: this.env(), stdio: 'ignore' });
    } catch {
      // not running
    }
  }
}
