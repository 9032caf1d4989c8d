// `npm run chaos` (full profile) or `node dist/scripts/chaos/main.js short`: runs the chaos, prints the table and,
// for the full run, writes bench/results/chaos.json and the figures of docs/RELIABILITY.md. Exit code 1 on failure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaosProfile } from './config.js';
import { printTable, resultJson, writeReliabilityFigures } from './report.js';
import { runChaos } from './run.js';

const root = process.cwd();
const name = process.argv[2] ?? 'full';
const profile = chaosProfile(name);
const command = name === 'full' ? 'npm run chaos' : `node dist/scripts/chaos/main.js ${name}`;

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`[chaos] ${signal}: stopping every process of the run\n`);
    process.exit(130); // the run's exit handler SIGKILLs its children
  });
}

const result = await runChaos(profile, { root });
printTable(result);
const json = JSON.stringify(resultJson(result, command), null, 2);
if (name === 'full') {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/chaos.json'), `${json}\n`);
  writeReliabilityFigures(join(root, 'docs/RELIABILITY.md'), result, command);
  process.stdout.write('Figures written to bench/results/chaos.json and docs/RELIABILITY.md\n');
} else {
  writeFileSync(join(result.logDir, '..', 'result.json'), `${json}\n`);
}
process.exitCode = result.passed ? 0 : 1;
