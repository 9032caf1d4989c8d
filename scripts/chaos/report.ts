// The run's figures: a table on the terminal, bench/results/chaos.json and the figures section of
// docs/RELIABILITY.md (between its chaos:figures markers).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { ChaosResult } from './run.js';
import { ZERO_FIGURES } from './invariants.js';

export function resultJson(result: ChaosResult, command: string) {
  const f = result.invariants?.figures;
  return {
    // The issue's columns first.
    kills: result.kills,
    events: result.events,
    lostCases: f?.lostCases ?? null,
    duplicateCases: f?.duplicateCases ?? null,
    duplicateSms: f?.duplicateSms ?? null,
    unarmedDeadlines: f?.unarmedDeadlines ?? null,
    wrongOverdue: f?.wrongOverdue ?? null,
    // Every other check.
    unexpectedCases: f?.unexpectedCases ?? null,
    duplicateLiabilities: f?.duplicateLiabilities ?? null,
    duplicateAlerts: f?.duplicateAlerts ?? null,
    lostNotifications: f?.lostNotifications ?? null,
    unjudgedDeadlines: f?.unjudgedDeadlines ?? null,
    lostDeadlines: f?.lostDeadlines ?? null,
    passed: result.passed,
    failures: result.failures,
    expectedCases: f?.expectedCases ?? null,
    cases: f?.cases ?? null,
    deadlinesCheckedAgainstTruth: f?.deadlinesChecked ?? null,
    killsByApp: result.killsByApp,
    postgresRestarts: result.postgresRestarts,
    redisFlushes: result.redisFlushes,
    unexpectedExits: result.unexpectedExits,
    context: result.invariants?.context ?? {},
    examples: result.invariants?.examples ?? {},
    disruptions: result.disruptions,
    timings: result.timings,
    profile: result.profile,
    command,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
    measuredAt: new Date().toISOString(),
  };
}

export function printTable(result: ChaosResult, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  const f = result.invariants?.figures;
  const rows: [string, string | number, string][] = [
    ['events produced', result.events, ''],
    ['SIGKILLs', result.kills, Object.entries(result.killsByApp).map(([app, n]) => `${app} ${n}`).join(', ')],
    ['PostgreSQL crash-restarts', result.postgresRestarts, 'pg_ctl -m immediate'],
    ['Redis FLUSHALLs', result.redisFlushes, ''],
    ['unexpected app exits', Object.values(result.unexpectedExits).reduce((a, b) => a + b, 0), Object.entries(result.unexpectedExits).filter(([, n]) => n).map(([app, n]) => `${app} ${n}`).join(', ')],
    ['expected cases (truth)', f?.expectedCases ?? '-', `${f?.cases ?? '-'} in the database`],
    ['deadlines checked vs truth', f?.deadlinesChecked ?? '-', ''],
  ];
  for (const figure of ZERO_FIGURES) rows.push([figure, f ? f[figure] : '-', f && f[figure] !== 0 ? 'FAIL' : 'ok']);
  const width = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([name, value, note]) => `  ${name.padEnd(width)}  ${String(value).padStart(8)}  ${note}`);
  write(`\nChaos run (${result.profile.name}${result.profile.calm ? ", calm control run: no disruption" : ""}): ${result.passed ? 'PASSED' : 'FAILED'} in ${result.timings.totalSeconds.toFixed(0)} s\n${lines.join('\n')}\n`);
  for (const [figure, examples] of Object.entries(result.invariants?.examples ?? {})) {
    write(`\n  ${figure}, e.g.:\n${examples.slice(0, 10).map((e) => `    - ${e}`).join('\n')}\n`);
  }
  if (result.failures.length) write(`\nFailures:\n${result.failures.map((f) => `  - ${f}`).join('\n')}\n`);
  write(`\nLogs: ${result.logDir}\n`);
}

const START = '<!-- chaos:figures:start -->';
const END = '<!-- chaos:figures:end -->';

/** Replaces the figures section of docs/RELIABILITY.md with this run's. */
export function writeReliabilityFigures(file: string, result: ChaosResult, command: string): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return;
  const f = result.invariants?.figures;
  const t = result.timings;
  const zeroRows = ZERO_FIGURES.map((figure) => `| ${figure} | ${f ? f[figure] : '–'} |`).join('\n');
  const exits = Object.entries(result.unexpectedExits).filter(([, n]) => n).map(([app, n]) => `${app} ${n}`).join(', ') || 'none';
  const section = `${START}
Last full run: \`${command}\`, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} vCPU shared with other work;
**${result.passed ? 'passed' : 'FAILED'}**${result.failures.length ? ` (${result.failures.join('; ')})` : ''}.

| | |
|---|---|
| events produced (seed ${result.profile.seed}, ${result.profile.rate} msg/s) | ${result.events} |
| SIGKILLs | ${result.kills} (${Object.entries(result.killsByApp).map(([app, n]) => `${app} ${n}`).join(', ')}) |
| PostgreSQL immediate stop + start | ${result.postgresRestarts} |
| Redis FLUSHALL | ${result.redisFlushes} |
| app exits not caused by the chaos (restarted) | ${exits} |
| cases expected by the truth / in the database | ${f?.expectedCases ?? '–'} / ${f?.cases ?? '–'} |
| deadline outcomes checked against the truth | ${f?.deadlinesChecked ?? '–'} |
| set-up / produce / settle / total | ${t.setupSeconds.toFixed(0)} s / ${t.produceSeconds.toFixed(0)} s / ${t.settleSeconds.toFixed(0)} s / ${t.totalSeconds.toFixed(0)} s |

| must be 0 | |
|---|---|
${zeroRows}

Chaos seed ${result.profile.chaosSeed} (\`CHAOS_RANDOM_SEED\` repeats the order of apps and the pauses; the moments also
depend on how fast the apps come back); every disruption with its time is in \`bench/results/chaos.json\`.
${END}`;
  writeFileSync(file, text.slice(0, start) + section + text.slice(end + END.length));
}
