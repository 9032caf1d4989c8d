/**
 * Queries over the scan log (all by event time, never by arrival order), shared by the rules.
 */
import { transitMinutes, type Policy } from '../policy/index.js';
import type { ScanFact } from './model.js';
import { plusMinutes } from './time.js';
import type { IsoTime, WaybillState } from './types.js';

/** A waybill with more scans than this is pathological; the oldest are dropped from the log (kept in order). */
export const MAX_SCANS_KEPT = 400;

/** Inserts keeping event-time order; equal times keep arrival (= scan topic) order. Returns a new array. */
export function withScan(scans: readonly ScanFact[], fact: ScanFact): ScanFact[] {
  let index = scans.length;
  while (index > 0 && scans[index - 1].at > fact.at) index--;
  const next = [...scans.slice(0, index), fact, ...scans.slice(index)];
  return next.length > MAX_SCANS_KEPT ? next.slice(next.length - MAX_SCANS_KEPT) : next;
}

export function hasScan(scans: readonly ScanFact[], eventId: string): boolean {
  return scans.some((scan) => scan.id === eventId);
}

/** The latest scan matching `match` at or before `at` (or overall when `at` is null). */
export function latestScan(scans: readonly ScanFact[], match: (scan: ScanFact) => boolean, at: IsoTime | null = null): ScanFact | null {
  for (let i = scans.length - 1; i >= 0; i--) {
    const scan = scans[i];
    if ((at === null || scan.at <= at) && match(scan)) return scan;
  }
  return null;
}

/** The first scan matching `match` at or after `from`. */
export function firstScanFrom(scans: readonly ScanFact[], from: IsoTime, match: (scan: ScanFact) => boolean): ScanFact | null {
  for (const scan of scans) {
    if (scan.at >= from && match(scan)) return scan;
  }
  return null;
}

/**
 * The branch the item should be heading to at `at`: the delivering branch, or the origin branch once a
 * RETURN_DISPATCHED sent it back (so the return trip is not mistaken for missorting).
 */
export function targetBranchAt(state: WaybillState, scans: readonly ScanFact[], at: IsoTime): string | null {
  const returning = latestScan(scans, (scan) => scan.type === 'RETURN_DISPATCHED', at);
  return returning ? (state.pickup?.originBranch ?? null) : state.deliveringBranch;
}

/**
 * §2.1 onward movement after a hub arrival: a HUB_DEPARTURE from that hub or any scan at another site,
 * strictly after the arrival (event time).
 */
export function onwardMovement(scans: readonly ScanFact[], hub: string, arrivedAt: IsoTime): ScanFact | null {
  for (const scan of scans) {
    if (scan.at <= arrivedAt) continue;
    if (scan.site !== hub || scan.type === 'HUB_DEPARTURE') return scan;
  }
  return null;
}

/** The courier of the latest OUT_FOR_DELIVERY at or before `at` (§6). */
export function courierAt(scans: readonly ScanFact[], at: IsoTime | null): ScanFact | null {
  return latestScan(scans, (scan) => scan.type === 'OUT_FOR_DELIVERY', at);
}

/** Every OUT_FOR_DELIVERY with a courier, in event-time order, at or before `until` (all when null). */
export function outForDeliveryUntil(scans: readonly ScanFact[], until: IsoTime | null): (ScanFact & { courierId: string })[] {
  return scans.filter(
    (scan): scan is ScanFact & { courierId: string } => scan.type === 'OUT_FOR_DELIVERY' && Boolean(scan.courierId) && (until === null || scan.at <= until),
  );
}

/** The hubs the item was scanned at, at or before `at`, in the order it first reached them. */
export function hubsUntil(scans: readonly ScanFact[], at: IsoTime): string[] {
  const hubs = new Set<string>();
  for (const scan of scans) {
    if (scan.at > at) break;
    if (scan.siteType === 'HUB') hubs.add(scan.site);
  }
  return [...hubs];
}

export type ArrivalBasis = 'THEORETICAL' | 'ACTUAL';

/**
 * D3 clock start at `branch`: the theoretical arrival (latest HUB_DEPARTURE towards it + route transit time);
 * **Decision** (rules.md §3): the actual BRANCH_ARRIVAL when no route entry or no departure exists. null while
 * neither scan is known (a registration that overtook the scans): the deadline is armed once they arrive, since
 * a clock started at the registration itself would always be met.
 */
export function branchClockStart(
  scans: readonly ScanFact[],
  branch: string,
  policy: Policy,
  trigger: IsoTime,
): { start: IsoTime; basis: ArrivalBasis; departure: ScanFact | null } | null {
  const arrivals = scans.filter((scan) => scan.type === 'BRANCH_ARRIVAL' && scan.site === branch);
  const actual = [...arrivals].reverse().find((scan) => scan.at <= trigger) ?? arrivals[0] ?? null;
  const horizon = actual?.at ?? trigger;
  const departure = latestScan(scans, (scan) => scan.type === 'HUB_DEPARTURE' && scan.next === branch, horizon);
  const transit = departure ? transitMinutes(policy, departure.site, branch) : null;
  if (departure && transit !== null) {
    return { start: plusMinutes(departure.at, transit), basis: 'THEORETICAL', departure };
  }
  if (actual) {
    return { start: actual.at, basis: 'ACTUAL', departure };
  }
  return null;
}

/** D2 clock start: the hub's HUB_ARRIVAL (the latest at or before the trigger); null until that scan is known. */
export function hubClockStart(scans: readonly ScanFact[], hub: string, trigger: IsoTime): IsoTime | null {
  const arrivals = scans.filter((scan) => scan.type === 'HUB_ARRIVAL' && scan.site === hub);
  const arrival = [...arrivals].reverse().find((scan) => scan.at <= trigger) ?? arrivals[0] ?? null;
  return arrival?.at ?? null;
}
