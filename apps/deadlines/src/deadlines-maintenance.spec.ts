import type { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import type { AppEnv } from '#config';
import { DeadlinesMaintenance } from './deadlines-maintenance.js';
import type { DeadlinesMetrics } from './deadlines.metrics.js';
import type { DeadlineScheduler } from './scheduler/deadline-scheduler.js';
import type { ReconcileReport, ReconcileUseCase } from './usecases/reconcile/reconcile.usecase.js';

function maintenanceWithManualReconcile() {
  const runs: ((report: ReconcileReport) => void)[] = [];
  const reconcile = { execute: () => new Promise<ReconcileReport>((resolve) => runs.push(resolve)) } as unknown as ReconcileUseCase;
  const metrics = { reconcile: { inc: () => undefined } } as unknown as DeadlinesMetrics;
  const maintenance = new DeadlinesMaintenance(
    reconcile,
    {} as DataSource,
    metrics,
    {} as DeadlineScheduler,
    {} as Redis,
    {} as AppEnv,
  );
  return { runs, maintenance };
}

const report: ReconcileReport = { pendingChecked: 0, rearmed: 0, orphansRemoved: 0, seconds: 0 };
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DeadlinesMaintenance.runReconcile', () => {
  it('runs one more reconcile after the current one when asked again meanwhile (a Redis restart mid-run)', async () => {
    const { runs, maintenance } = maintenanceWithManualReconcile();
    const first = maintenance.runReconcile();
    expect(maintenance.runReconcile()).toBe(first);
    maintenance.runReconcile();
    expect(runs).toHaveLength(1);

    runs[0]!(report);
    await first;
    await tick();
    expect(runs).toHaveLength(2); // the requests made during the run coalesce into one more

    runs[1]!(report);
    await tick();
    expect(runs).toHaveLength(2);
  });

  it('starts nothing more once shut down', async () => {
    const { runs, maintenance } = maintenanceWithManualReconcile();
    maintenance.runReconcile();
    maintenance.runReconcile();
    const stopping = maintenance.onApplicationShutdown();
    runs[0]!(report);
    await stopping;
    await tick();
    expect(runs).toHaveLength(1);
  });
});
