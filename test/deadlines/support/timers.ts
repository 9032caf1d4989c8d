import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DEADLINE_QUEUE } from '../../../apps/deadlines/src/scheduler/bullmq-deadline-scheduler.js';

/** Looks at the deadline timers in Redis through BullMQ's own API (what a dashboard such as Bull Board sees). */
export class TimerProbe {
  readonly redis: Redis;
  readonly queue: Queue;

  constructor(redisUrl: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue(DEADLINE_QUEUE, { connection: this.redis });
  }

  /** The BullMQ state of the deadline's timer ('delayed', 'waiting', 'active', …), or null when it has none. */
  async state(deadlineId: string): Promise<string | null> {
    const job = await this.queue.getJob(deadlineId);
    return job ? job.getState() : null;
  }

  async job(deadlineId: string): Promise<Job | undefined> {
    return this.queue.getJob(deadlineId);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

/** One sample of a Prometheus text exposition, or 0 when the series is absent. */
export async function metricValue(port: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const present = labelText.split(',');
    if (wanted.every((w) => present.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
