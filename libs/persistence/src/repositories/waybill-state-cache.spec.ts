import type { WaybillState } from '#domain';
import { WaybillStateCache } from './waybill-state-cache.js';

const state = (waybillNo: string, version = 1) => ({ waybillNo, version }) as WaybillState;

describe('WaybillStateCache', () => {
  it('keeps the last snapshot remembered for a waybill', () => {
    const cache = new WaybillStateCache(10);
    cache.remember([state('A', 1)]);
    cache.remember([state('A', 2)]);
    expect(cache.get('A')?.version).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('drops the least recently remembered waybills beyond its capacity', () => {
    const cache = new WaybillStateCache(2);
    cache.remember([state('A'), state('B')]);
    cache.remember([state('A', 2)]); // A is now the most recent
    cache.remember([state('C')]);
    expect(cache.get('B')).toBeUndefined();
    expect(cache.get('A')?.version).toBe(2);
    expect(cache.get('C')).toBeDefined();
  });

  it('keeps nothing with capacity 0 (INGEST_STATE_CACHE_ENTRIES=0: every batch reads its states)', () => {
    const cache = new WaybillStateCache(0);
    cache.remember([state('A')], new Map([['A', 3]]));
    expect(cache.get('A')).toBeUndefined();
    expect(cache.journaled('A')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
