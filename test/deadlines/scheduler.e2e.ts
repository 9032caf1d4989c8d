import { Worker, type Job } from 'bullmq';
import { BullMqDeadlineScheduler, DEADLINE_QUEUE } from '../../apps/deadlines/src/scheduler/bullmq-deadline-scheduler.js';
import { eventually } from '../support/processes.js';
import { TimerProbe } from './support/timers.js';

/**
 * The scheduler writes BullMQ jobs with its own bulk script (apps/deadlines/src/scheduler/arm-deadlines.script.ts).
 * These tests hold that layout to the pinned bullmq: BullMQ's getters see the jobs as its own delayed jobs, its
 * Worker runs them at their due time, and its removeJob removes them.
 */
describe('BullMQ deadline scheduler (real Redis)', () => {
  const redisUrl = 'redis://127.0.0.1:6379/5';
  let probe: TimerProbe;
  let scheduler: BullMqDeadlineScheduler;

  beforeAll(async () => {
    probe = new TimerProbe(redisUrl);
    await probe.redis.flushdb();
    scheduler = BullMqDeadlineScheduler.create(probe.redis, () => Date.now());
  });

  afterEach(() => probe.redis.flushdb());

  afterAll(async () => {
    await scheduler.close();
    await probe.close();
  });

  it('arms delayed jobs that BullMQ reads as its own, with the deadline id as job id', async () => {
    const dueAt = new Date(Date.now() + 3_600_000).toISOString();
    expect(await scheduler.arm([{ deadlineId: 'WB0000000001-COMPLAINT-1-C1', dueAt }])).toBe(1);

    const job = await probe.job('WB0000000001-COMPLAINT-1-C1');
    expect(job).toBeDefined();
    expect(await job!.getState()).toBe('delayed');
    expect(job!.timestamp + job!.delay).toBe(Date.parse(dueAt));
    expect(job!.data).toEqual({});
    expect(await probe.queue.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 1, waiting: 0 });
    const [delayed] = await probe.queue.getDelayed();
    expect(delayed!.id).toBe('WB0000000001-COMPLAINT-1-C1');
  });

  it('is idempotent: arming an armed deadline changes nothing', async () => {
    const deadline = { deadlineId: 'WB0000000002-COMPLAINT-1-C2', dueAt: new Date(Date.now() + 60_000).toISOString() };
    expect(await scheduler.arm([deadline])).toBe(1);
    const first = await probe.job(deadline.deadlineId);
    expect(await scheduler.arm([deadline, deadline, { ...deadline, dueAt: new Date(Date.now() + 999_000).toISOString() }])).toBe(0);
    const again = await probe.job(deadline.deadlineId);
    expect({ timestamp: again!.timestamp, delay: again!.delay }).toEqual({ timestamp: first!.timestamp, delay: first!.delay });
    expect(await probe.queue.getDelayedCount()).toBe(1);
  });

  it('lets a BullMQ worker run each job at its due time, past-due ones at once, in due order', async () => {
    const now = Date.now();
    const deadlines = [
      { deadlineId: 'WB0000000003-FAILED_DELIVERY-1-D4-a1', dueAt: new Date(now + 1500).toISOString() },
      { deadlineId: 'WB0000000003-FAILED_DELIVERY-1-ESC1', dueAt: new Date(now - 60_000).toISOString() },
      { deadlineId: 'WB0000000004-COMPLAINT-1-C3', dueAt: new Date(now + 3_600_000).toISOString() },
    ];
    await scheduler.arm(deadlines);
    const ran: { id: string; at: number }[] = [];
    const connection = probe.redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(DEADLINE_QUEUE, async (job: Job) => void ran.push({ id: job.id!, at: Date.now() }), {
      connection,
      removeOnComplete: { count: 0 },
    });
    try {
      await eventually(async () => ran.length >= 2, 10_000, 20);
      expect(ran.map((r) => r.id)).toEqual(['WB0000000003-FAILED_DELIVERY-1-ESC1', 'WB0000000003-FAILED_DELIVERY-1-D4-a1']);
      expect(ran[1]!.at).toBeGreaterThanOrEqual(Date.parse(deadlines[0]!.dueAt));
      expect(ran[1]!.at - Date.parse(deadlines[0]!.dueAt)).toBeLessThan(1000);
      expect(await probe.state('WB0000000003-FAILED_DELIVERY-1-D4-a1')).toBeNull(); // removed on completion
      expect(await probe.state('WB0000000004-COMPLAINT-1-C3')).toBe('delayed');
    } finally {
      await worker.close();
      connection.disconnect();
    }
  });

  it('cancels waiting timers in bulk and the others through BullMQ, leaving no key of a cancelled job', async () => {
    const dueAt = new Date(Date.now() + 600_000).toISOString();
    const ids = ['E', 'F', 'G', 'H'].map((x) => `WB000000000${x}-COMPLAINT-1-C1`);
    await scheduler.arm(ids.map((deadlineId) => ({ deadlineId, dueAt })));
    await (await probe.job(ids[1]!))!.promote(); // now in `wait`: not the bulk script's, BullMQ removes it
    await scheduler.cancel([ids[0]!, ids[1]!, ids[2]!, 'WB000000000Z-COMPLAINT-1-C1']);
    expect(await Promise.all(ids.map((id) => probe.state(id)))).toEqual([null, null, null, 'delayed']);
    expect(await probe.queue.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 1, waiting: 0 });
    expect(await probe.redis.exists(...ids.slice(0, 3).map((id) => probe.queue.toKey(id)))).toBe(0);
    const [left] = await probe.queue.getDelayed();
    expect(left!.id).toBe(ids[3]);
  });

  it('cancels through BullMQ, and reports missing and finished timers as missing', async () => {
    const dueAt = new Date(Date.now() + 600_000).toISOString();
    await scheduler.arm(['A', 'B', 'C'].map((x) => ({ deadlineId: `WB000000000${x}-COMPLAINT-1-C1`, dueAt })));
    await scheduler.cancel(['WB000000000B-COMPLAINT-1-C1']);
    expect(await probe.state('WB000000000B-COMPLAINT-1-C1')).toBeNull();

    // A job left failed under a deadline's id is no timer: reported missing, and replaced when armed again.
    const failed = await probe.job('WB000000000C-COMPLAINT-1-C1');
    await failed!.promote();
    const connection = probe.redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(DEADLINE_QUEUE, async () => {
      throw new Error('boom');
    }, { connection });
    try {
      await eventually(async () => (await probe.state('WB000000000C-COMPLAINT-1-C1')) === 'failed', 10_000, 50);
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const ids = ['A', 'B', 'C', 'D'].map((x) => `WB000000000${x}-COMPLAINT-1-C1`);
    expect(await scheduler.missing(ids)).toEqual(ids.slice(1));

    expect(await scheduler.arm(ids.map((deadlineId) => ({ deadlineId, dueAt })))).toBe(3);
    expect(await Promise.all(ids.map((id) => probe.state(id)))).toEqual(['delayed', 'delayed', 'delayed', 'delayed']);
    expect(await scheduler.missing(ids)).toEqual([]);
    const listed: string[] = [];
    for await (const page of scheduler.scheduledIds(2)) listed.push(...page);
    expect(listed.sort()).toEqual(ids);
  });
});

