import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

// jest runs from the repository root (scripts/test.sh cds there).
export const ROOT = process.cwd();

export interface RunningApp {
  name: string;
  port: number;
  process: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

/**
 * Starts a compiled app as its own process (as in production: `node dist/apps/<name>/src/main.js`)
 * and waits for its /health to answer. Output goes to test-results/<name>-<port>.log.
 */
export async function startApp(name: string, env: Record<string, string>, port: number, timeoutMs = 60_000): Promise<RunningApp> {
  mkdirSync(resolve(ROOT, 'test-results'), { recursive: true });
  const logFile = resolve(ROOT, 'test-results', `${name}-${port}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [resolve(ROOT, `dist/apps/${name}/src/main.js`)], {
    cwd: ROOT,
    env: { ...process.env, ...env, HTTP_PORT: String(port), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const app: RunningApp = { name, port, process: child, logFile, exited };
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${name} exited with ${exitCode} during start; see ${logFile}`);
    if (await healthy(port)) return app;
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not become healthy within ${timeoutMs} ms; see ${logFile}`);
}

export async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function stopApp(app: RunningApp | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!app || app.process.exitCode !== null) return app?.process.exitCode ?? null;
  app.process.kill(signal);
  const timer = setTimeout(() => app.process.kill('SIGKILL'), 15_000);
  const code = await app.exited;
  clearTimeout(timer);
  return code;
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls until `probe` returns a truthy value (returned) or the time is up (the last error thrown). */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 30_000, intervalMs = 250): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error('condition never became true');
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw lastError;
}

/**
 * A port nothing listens on, chosen by the kernel (a guessed range once landed on RabbitMQ's 5672). Synchronous so
 * call sites stay simple: a throw-away node process binds port 0 and prints what it got.
 */
export function freePort(): number {
  const probe = "const s=require('net').createServer().listen(0,()=>{process.stdout.write(String(s.address().port));s.close()})";
  return Number(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
}
