import type { Policy } from '../policy/index.js';
import { caseData, factsOf, type CaseData, type WaybillFacts } from './model.js';
import type { Deadline, Effect, IsoTime, Party, ProblemCase, WaybillState } from './types.js';

/** eventIds remembered per waybill for duplicate detection (older ones are also found in the scan log). */
export const SEEN_EVENT_IDS_KEPT = 512;

/**
 * One decision in progress: a copy-on-write view of the waybill state plus the effects collected so far.
 *
 * `decide` runs for every scan of a high-volume stream, and most scans touch nothing but the scan log, so the
 * state is copied shallowly and only the parts a rule actually changes (the scan log, one case) are cloned,
 * once per decision. The caller's state object is never mutated.
 */
export class EngineContext {
  readonly effects: Effect[] = [];
  readonly state: WaybillState;
  readonly zone: string;
  private readonly ownedCases = new Set<string>();
  private ownFacts = false;
  private ownTimers = false;
  private ownCaseList = false;

  constructor(
    private readonly base: WaybillState,
    readonly policy: Policy,
  ) {
    this.state = { ...base };
    this.zone = policy.timeZone;
  }

  // ------------------------------------------------------------------------------------------ reads

  get facts(): WaybillFacts {
    return factsOf(this.state);
  }

  get originBranch(): string | null {
    return this.state.pickup?.originBranch ?? null;
  }

  get deliveringBranch(): string | null {
    return this.state.deliveringBranch;
  }

  caseById(caseId: string): ProblemCase | undefined {
    return this.state.cases.find((c) => c.id === caseId);
  }

  /** The role a site plays for this waybill: OB, DB, a hub, or another branch (RB). */
  roleOf(site: string, siteType: 'HUB' | 'BRANCH' | 'HQ'): Party {
    if (siteType === 'HQ') return 'HQ';
    if (siteType === 'HUB') return 'HUB';
    if (site === this.deliveringBranch) return 'DB';
    if (site === this.originBranch) return 'OB';
    return 'RB';
  }

  // ----------------------------------------------------------------------------------------- writes

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  mutableFacts(): WaybillFacts {
    if (!this.ownFacts) {
      const facts = factsOf(this.state);
      const copy: WaybillFacts = { ...facts, scans: [...facts.scans], awaitingCase: [...facts.awaitingCase] };
      this.state.facts = copy as unknown as Record<string, unknown>;
      this.ownFacts = true;
    }
    return factsOf(this.state);
  }

  mutableTimers(): Deadline[] {
    if (!this.ownTimers) {
      this.state.timers = this.state.timers.map((timer) => ({ ...timer }));
      this.ownTimers = true;
    }
    return this.state.timers;
  }

  /** The case, cloned on first write in this decision. */
  mutableCase(caseId: string): ProblemCase {
    const index = this.state.cases.findIndex((c) => c.id === caseId);
    if (index < 0) {
      throw new Error(`no case ${caseId} on waybill ${this.state.waybillNo}`);
    }
    if (!this.ownedCases.has(caseId)) {
      this.ensureOwnCaseList();
      this.state.cases[index] = structuredClone(this.state.cases[index]);
      this.ownedCases.add(caseId);
    }
    return this.state.cases[index];
  }

  addCase(c: ProblemCase): void {
    this.ensureOwnCaseList();
    this.state.cases.push(c);
    this.ownedCases.add(c.id);
  }

  /** Whether this decision has written to the case (it then needs reconciling). */
  isOwned(caseId: string): boolean {
    return this.ownedCases.has(caseId);
  }

  dataOf(c: ProblemCase): CaseData {
    return caseData(c);
  }

  markSeen(eventId: string): void {
    const seen = this.state.seenEventIds;
    const kept = seen.length >= SEEN_EVENT_IDS_KEPT ? seen.slice(seen.length - SEEN_EVENT_IDS_KEPT + 1) : [...seen];
    kept.push(eventId);
    this.state.seenEventIds = kept;
  }

  /** The new state (version + 1) and the effects. */
  finish(): { state: WaybillState; effects: Effect[] } {
    this.state.version = this.base.version + 1;
    return { state: this.state, effects: this.effects };
  }

  private ensureOwnCaseList(): void {
    if (!this.ownCaseList) {
      this.state.cases = [...this.state.cases];
      this.ownCaseList = true;
    }
  }
}

/** `event time` of the decision's source, for timeline entries and notifications. */
export interface Source {
  at: IsoTime;
  eventId: string | null;
  actor: string;
}
