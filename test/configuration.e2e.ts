import { spawnSync } from 'node:child_process';
import { ROOT } from './support/processes.js';

/** Every app validates its environment before connecting to anything: a bad value stops it at once, naming the variable. */
describe.each(['ingest', 'deadlines', 'notifier', 'api'])('%s start-up with a bad setting', (app) => {
  const run = (env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, [`dist/apps/${app}/src/main.js`], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:9', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it.each([
    [{ KAFKA_BROKERS: 'no-port-here' }, /KAFKA_BROKERS \("no-port-here"\): each broker must be host:port/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL \("mysql:\/\/x\/y"\): must be a URL with scheme postgres or postgresql/],
    [{ HTTP_PORT: '99999' }, /HTTP_PORT \("99999"\)/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL \("loud"\)/],
  ])('exits with EX_CONFIG (78) and names the variable: %j', (env, message) => {
    const result = run(env);
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(message);
  });
});
