// Entry point: `node dist/apps/replay/src/main.js --events day.ndjson --policy a.json [--policy b.json]`.
import { runReplayCli } from './cli.js';

const exitCode = await runReplayCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = exitCode;
