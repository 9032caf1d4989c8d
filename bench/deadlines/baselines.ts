import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { DEADLINE_QUEUE } from '../../apps/deadlines/src/scheduler/bullmq-deadline-scheduler.js';
import type { FireDeadlineUseCase } from '../../apps/deadlines/src/usecases/fire-deadline/fire-deadline.usecase.js';
import type { ScheduledDeadline } from '../../apps/deadlines/src/scheduler/deadline-scheduler.js';

/**
 * What a first version would do with BullMQ, for the benchmark to compare against: one `queue.add` per timer,
 * awaited in turn, with the deadline in the job's data; a reconciler that asks BullMQ for each pending
 * deadline's job and adds the missing ones; a worker that judges each timer in its own transaction.
 */
export class PlainBullMq {
  readonly queue: Queue;

  constructor(private readonly redis: Redis) {
    this.queue = new Queue(DEADLINE_QUEUE, { connection: redis });
  }

  async add(deadline: ScheduledDeadline): Promise<void> {
    await this.queue.add(
      'deadline',
      { due: deadline.dueAt },
      { jobId: deadline.deadlineId, delay: Math.max(0, Date.parse(deadline.dueAt) - Date.now()), removeOnComplete: true },
    );
  }

  /** Re-arms the first `limit` pending deadlines (by id) one at a time; returns how many it added. */
  async reconcile(dataSource: DataSource, limit: number): Promise<number> {
    let added = 0;
    let after = '';
    for (let seen = 0; seen < limit; ) {
      const rows: { deadline_id: string; due_at: Date }[] = await dataSource.query(
        `SELECT deadline_id, due_at FROM deadline WHERE status = 'PENDING' AND deadline_id > $1 ORDER BY deadline_id LIMIT $2`,
        [after, Math.min(1000, limit - seen)],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        if (!(await this.queue.getJob(row.deadline_id))) {
          await this.add({ deadlineId: row.deadline_id, dueAt: new Date(row.due_at).toISOString() });
          added += 1;
        }
      }
      seen += rows.length;
      after = rows[rows.length - 1]!.deadline_id;
    }
    return added;
  }

  /** A worker that judges each timer alone: one PostgreSQL transaction per job. */
  startWorker(fire: FireDeadlineUseCase, concurrency: number): { close(): Promise<void> } {
    const connection = this.redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(DEADLINE_QUEUE, async (job) => (await fire.execute(job.id!)).kind, {
      connection,
      concurrency,
      removeOnComplete: { count: 0 },
    });
    return {
      async close() {
        await worker.close();
        connection.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
