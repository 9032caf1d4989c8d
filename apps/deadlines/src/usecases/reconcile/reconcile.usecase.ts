import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEADLINE_SCHEDULER, type DeadlineScheduler } from '../../scheduler/deadline-scheduler.js';

export interface ReconcileReport {
  pendingChecked: number;
  rearmed: number;
  orphansRemoved: number;
  seconds: number;
}

/**
 * Makes Redis agree with PostgreSQL: every PENDING deadline has a timer (re-armed when missing —
 * past-due ones then fire at once) and no timer lives without a pending row. Redis here keeps
 * nothing on disk, so after a flush or restart this is what restores every timer.
 */
@Injectable()
export class ReconcileUseCase {
  private readonly log = new Logger(ReconcileUseCase.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DEADLINE_SCHEDULER) private readonly scheduler: DeadlineScheduler,
  ) {}

  async execute(pageSize = 10_000): Promise<ReconcileReport> {
    const started = performance.now();
    let pendingChecked = 0;
    let rearmed = 0;
    // Each page of pending rows is read while the previous one is checked and armed in Redis.
    let page = this.pendingPage('', pageSize);
    for (;;) {
      const rows = await page;
      if (rows.length === 0) break;
      page = this.pendingPage(rows[rows.length - 1]!.deadline_id, pageSize);
      pendingChecked += rows.length;
      const missing = new Set(await this.scheduler.missing(rows.map((r) => r.deadline_id)));
      if (missing.size > 0) {
        rearmed += await this.scheduler.arm(
          rows.filter((r) => missing.has(r.deadline_id)).map((r) => ({ deadlineId: r.deadline_id, dueAt: new Date(r.due_at).toISOString() })),
        );
      }
    }

    let orphansRemoved = 0;
    for await (const ids of this.scheduler.scheduledIds(pageSize)) {
      const pending: { deadline_id: string }[] = await this.dataSource.query(
        `SELECT deadline_id FROM deadline WHERE deadline_id = ANY($1::text[]) AND status = 'PENDING'`,
        [ids],
      );
      const keep = new Set(pending.map((r) => r.deadline_id));
      const orphans = ids.filter((id) => !keep.has(id));
      if (orphans.length) {
        await this.scheduler.cancel(orphans);
        orphansRemoved += orphans.length;
      }
    }
    const report = { pendingChecked, rearmed, orphansRemoved, seconds: (performance.now() - started) / 1000 };
    if (rearmed || orphansRemoved) this.log.warn(`reconciled: ${JSON.stringify(report)}`);
    return report;
  }

  /** Pending deadlines after `after` in id order (keyset paging). A prefetched page that is never awaited must not crash the process. */
  private pendingPage(after: string, pageSize: number): Promise<{ deadline_id: string; due_at: Date }[]> {
    const page: Promise<{ deadline_id: string; due_at: Date }[]> = this.dataSource.query(
      `SELECT deadline_id, due_at FROM deadline WHERE status = 'PENDING' AND deadline_id > $1 ORDER BY deadline_id LIMIT $2`,
      [after, pageSize],
    );
    page.catch(() => undefined);
    return page;
  }
}
