// Waits until the demo's stream has been fully processed (no consumer lag, empty outbox, stable
// counts), then prints what the day produced: cases per class, overdue per rule, liability per
// party, notifications sent, DLQ. Reads the API's ops summary, the same figures the dashboard shows.
import type { OpsSummary } from '../apps/api/src/summary/summary.service.js';

const api = process.argv[2] ?? 'http://127.0.0.1:3000';
const timeoutMs = Number(process.argv[3] ?? 600_000);

async function fetchSummary(): Promise<OpsSummary> {
  const response = await fetch(`${api}/api/ops/summary`, {
    signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${process.env.API_TOKEN ?? ''}` },
  });
  if (!response.ok) throw new Error(`summary: HTTP ${response.status}`);
  return (await response.json()) as OpsSummary;
}

const fingerprint = (s: OpsSummary) =>
  JSON.stringify([s.casesByClass, s.overdueByRule, s.notificationsByStatus, s.dlq.total, s.pendingDeadlines]);

const started = Date.now();
let stableRounds = 0;
let previous = '';
let summary: OpsSummary | null = null;
while (Date.now() - started < timeoutMs) {
  try {
    summary = await fetchSummary();
    const lag = summary.lag.reduce((sum, p) => sum + p.lag, 0);
    const print = fingerprint(summary);
    stableRounds = lag === 0 && summary.outboxBacklog === 0 && print === previous ? stableRounds + 1 : 0;
    previous = print;
    process.stderr.write(`\r[demo] waiting for the pipeline to settle: lag ${lag}, outbox ${summary.outboxBacklog}, stable ${stableRounds}/5   `);
    if (stableRounds >= 5) break;
  } catch (error) {
    process.stderr.write(`\r[demo] summary not ready: ${(error as Error).message}   `);
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
}
process.stderr.write('\n');
if (!summary) {
  console.error('[demo] no summary could be read');
  process.exit(1);
}
if (stableRounds < 5) console.warn('[demo] the pipeline had not settled within the time limit; figures below are partial');

console.log('\nCases per class');
console.table(Object.fromEntries(summary.casesByClass.map((c) => [c.caseClass, { open: c.open, total: c.total }])));
console.log('Overdue per rule (missed deadlines; retracted = later shown met by event time)');
console.table(Object.fromEntries(summary.overdueByRule.map((o) => [o.rule, { missed: o.missed, retracted: o.retracted }])));
console.log('Liability records in force, per party');
console.table(Object.fromEntries(summary.liabilityByParty.map((l) => [l.party, { records: l.records }])));
console.log('Notifications');
console.table(summary.notificationsByStatus.map((n) => ({ channel: n.channel, status: n.status, count: n.count })));
console.log(`DLQ: ${summary.dlq.total} rejected message(s)`);
for (const d of summary.dlq.latest.slice(0, 5)) console.log(`  - ${d.topic}: ${d.reason}`);
console.log(`Pending deadlines: ${summary.pendingDeadlines}`);
