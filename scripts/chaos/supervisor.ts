// Runs the apps as separate processes the way a process manager would: an app that dies (SIGKILLed by the chaos,
// or crashed on its own) is started again after a short delay. Every process it ever started is recorded in a pid
// file, so the next run stops whatever a killed run left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, createWriteStream, existsSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export type AppName = 'ingest' | 'deadlines' | 'notifier' | 'api';
export const APP_NAMES: AppName[] = ['ingest', 'deadlines', 'notifier', 'api'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A marker in every child's environment: how a leftover process is recognised as the chaos run's own. */
export const MARKER_VARIABLE = 'COURIER_CHAOS_RUN';

export class PidFile {
  constructor(private readonly path: string) {}

  add(pid: number | undefined): void {
    if (pid) appendFileSync(this.path, `${pid}\n`);
  }

  /** SIGKILLs the processes a previous run recorded, if they still carry the chaos marker (a pid may be reused). */
  killLeftovers(): number {
    if (!existsSync(this.path)) return 0;
    let killed = 0;
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      const pid = Number(line);
      if (!pid) continue;
      try {
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        if (!environ.includes(`${MARKER_VARIABLE}=`)) continue;
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // gone already
      }
    }
    rmSync(this.path, { force: true });
    return killed;
  }
}

/**
 * One run of a profile at a time in a working copy: a second one would SIGKILL the first one's processes as
 * leftovers. Throws when a live process holds the lock.
 */
export function takeRunLock(path: string): () => void {
  if (existsSync(path)) {
    const holder = Number(readFileSync(path, 'utf8'));
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = holder !== process.pid;
    } catch {
      // stale lock
    }
    if (alive) throw new Error(`another chaos run of this profile is running (pid ${holder}, lock ${path})`);
  }
  writeFileSync(path, String(process.pid));
  return () => rmSync(path, { force: true });
}

export interface AppStats {
  starts: number;
  kills: number;
  /** Exits the chaos did not cause (a crash, or giving up on a dependency). */
  unexpectedExits: number;
  exitCodes: (number | string)[];
}

/** One app under supervision. */
export class SupervisedApp {
  readonly stats: AppStats = { starts: 0, kills: 0, unexpectedExits: 0, exitCodes: [] };
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private killedByUs = new WeakSet<ChildProcess>();
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly name: AppName,
    readonly port: number,
    private readonly root: string,
    private readonly env: Record<string, string>,
    logDir: string,
    private readonly pids: PidFile,
    private readonly restartDelayMs: () => number,
  ) {
    this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  start(): void {
    if (this.stopping) return;
    const child = spawn(process.execPath, [join(this.root, `dist/apps/${this.name}/src/main.js`)], {
      cwd: this.root,
      env: { ...process.env, ...this.env, HTTP_PORT: String(this.port), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stats.starts += 1;
    this.pids.add(child.pid);
    this.log.write(`\n===== ${new Date().toISOString()} start #${this.stats.starts} pid ${child.pid}\n`);
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    child.on('exit', (code, signal) => {
      const byUs = this.killedByUs.has(child);
      this.log.write(`===== ${new Date().toISOString()} pid ${child.pid} exited (${signal ?? code})${byUs ? ' [chaos kill]' : ''}\n`);
      if (!byUs && !this.stopping) {
        this.stats.unexpectedExits += 1;
        this.stats.exitCodes.push(signal ?? code ?? '?');
      }
      if (this.child === child) this.child = null;
      if (!this.stopping) this.restartTimer = setTimeout(() => this.start(), this.restartDelayMs());
    });
  }

  /** SIGKILL, no warning: whatever the process was doing is cut off. Returns the pid killed. */
  kill(): number | undefined {
    const child = this.child;
    if (!child || child.exitCode !== null) return undefined;
    this.killedByUs.add(child);
    child.kill('SIGKILL');
    this.stats.kills += 1;
    return child.pid;
  }

  async healthy(): Promise<boolean> {
    if (!this.pid) return false;
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(2000) });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** Waits until the app answers /health (it may be restarted meanwhile); false when the time is up. */
  async waitHealthy(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.healthy()) return true;
      await sleep(200);
    }
    return false;
  }

  /** Ends supervision: SIGTERM (the app drains), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  /** Synchronous last resort (process exit handler): SIGKILL without waiting. */
  killNow(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
