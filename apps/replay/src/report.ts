import { DateTime } from 'luxon';
import type { FieldChange, ReplayDiff, ReplayResult, ReplaySummary, WaybillDiff } from '#domain';

/** Left-aligned first column, right-aligned numbers: a plain-text table for terminals and logs. */
export function renderTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '))
    .join('\n');
}

function countsTable(title: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts);
  return rows.length === 0 ? `${title}: none` : renderTable([title, 'count'], rows);
}

/** The stderr summary of a single replay. */
export function renderSummary(result: ReplayResult, summary: ReplaySummary): string {
  const { counts } = result;
  return [
    `policy ${result.policy.version} (${result.policy.fingerprint.slice(0, 12)}): ${counts.messages} messages, ` +
      `${counts.events} events, ${counts.rejected} rejected, ${counts.timersFired} timers fired, ` +
      `${counts.waybills} waybills, watermark ${result.watermark ?? '-'}`,
    countsTable('cases per class', summary.casesByClass),
    countsTable('overdue per rule', summary.overdueByRule),
    countsTable('escalations per step', summary.escalationsByStep),
    countsTable('liabilities per party', summary.liabilitiesByParty),
    countsTable('notifications per kind', summary.notificationsByKind),
    countsTable('rejected per reason', result.rejected),
  ].join('\n\n');
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function renderValue(value: unknown, zone: string): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string' && ISO_INSTANT.test(value)) {
    return DateTime.fromISO(value, { zone }).toFormat("yyyy-LL-dd HH:mm:ss.SSS ZZ");
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function renderChanges(changes: FieldChange[], zone: string): string {
  return changes.map((c) => `${c.field} ${renderValue(c.a, zone)} -> ${renderValue(c.b, zone)}`).join('; ');
}

function renderWaybill(w: WaybillDiff, zone: string): string[] {
  const t = (value: unknown) => renderValue(value, zone);
  const lines: string[] = [];
  for (const c of w.casesOnlyInA) lines.push(`  - case ${c.caseId} ${c.reasonCode} (only in A, ${c.state})`);
  for (const c of w.casesOnlyInB) lines.push(`  + case ${c.caseId} ${c.reasonCode} (only in B, ${c.state})`);
  for (const c of w.casesChanged) lines.push(`  ~ case ${c.caseId}: ${renderChanges(c.changes, zone)}`);
  for (const d of w.deadlinesOnlyInA) lines.push(`  - deadline ${d.id} ${d.rule} due ${t(d.dueAt)} ${d.status} (only in A)`);
  for (const d of w.deadlinesOnlyInB) lines.push(`  + deadline ${d.id} ${d.rule} due ${t(d.dueAt)} ${d.status} (only in B)`);
  for (const d of w.deadlinesChanged) lines.push(`  ~ deadline ${d.id} ${d.rule}: ${renderChanges(d.changes, zone)}`);
  for (const l of w.liabilitiesRemoved) lines.push(`  - liability ${l.id} ${l.kind} ${l.rule} ${l.party} ${l.siteCode ?? '-'} (only in A)`);
  for (const l of w.liabilitiesAdded) lines.push(`  + liability ${l.id} ${l.kind} ${l.rule} ${l.party} ${l.siteCode ?? '-'} (only in B)`);
  for (const l of w.liabilitiesChanged) lines.push(`  ~ liability ${l.id} ${l.rule}: ${renderChanges(l.changes, zone)}`);
  for (const n of w.notificationsRemoved) lines.push(`  - notification ${n.id} ${n.kind} to ${n.targetRole} (only in A)`);
  for (const n of w.notificationsAdded) lines.push(`  + notification ${n.id} ${n.kind} to ${n.targetRole} (only in B)`);
  for (const n of w.notificationsChanged) lines.push(`  ~ notification ${n.id} ${n.kind}: ${renderChanges(n.changes, zone)}`);
  return lines;
}

/** The human-readable what-if report; times shown in `zone` (policy A's network zone). */
export function renderDiff(diff: ReplayDiff, labels: { a: string; b: string }, zone: string): string {
  const head = [
    `A: ${labels.a} (version ${diff.a.version}, ${diff.a.fingerprint.slice(0, 12)})`,
    `B: ${labels.b} (version ${diff.b.version}, ${diff.b.fingerprint.slice(0, 12)})`,
  ];
  const summary = renderTable(
    ['metric', 'A', 'B', 'delta'],
    diff.summary.map((row) => [row.metric, row.a, row.b, row.delta > 0 ? `+${row.delta}` : String(row.delta)]),
  );
  if (diff.identical) {
    return [...head, '', summary, '', 'No differences: both policies give the same cases, deadlines, liabilities and notifications.'].join('\n');
  }
  const changeTotals = Object.entries(diff.changes)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const perWaybill = diff.waybills.flatMap((w) => [`${w.waybillNo}`, ...renderWaybill(w, zone)]);
  return [...head, '', summary, '', `${diff.waybills.length} waybills differ: ${changeTotals}`, '', ...perWaybill].join('\n');
}
