import type { CaseClass, Party, Policy, RuleId } from '#domain';
import type { LocalClock } from '../clock.js';
import type { Journey } from '../journey.js';
import type { Branch, Network } from '../network.js';
import type { MobileQuality } from '../people.js';
import type { Rng } from '../prng.js';
import type { Detection, InjectedProblem } from '../truth.js';

export interface JourneyOptions {
  origin?: string;
  destination?: string;
  /** Restricts the delivering branch given the origin (origins without a match are skipped). */
  destinationFilter?: (branch: Branch, origin: Branch) => boolean;
  /** A COD shipment, optionally with a given method. */
  cod?: boolean | 'CASH' | 'CHEQUE';
  mobile?: MobileQuality;
  returnReceipt?: boolean;
  freightPayer?: 'SENDER' | 'RECIPIENT';
}

/** A deadline outcome in epoch milliseconds; the context formats it for the ground truth. */
export interface DeadlineDraft {
  rule: RuleId;
  party: Party | null;
  siteCode: string | null;
  dueAt: number | null;
  /** When the deadline was met; null when never. Outcome: MET when metAt <= dueAt. */
  metAt: number | null;
  note?: string;
}

export interface ProblemDraft {
  caseClass: CaseClass;
  reasonCode: string;
  detection: Detection;
  detectedAt: number;
  detectedBy: string;
  expected?: DeadlineDraft[];
  flags?: InjectedProblem['flags'];
  expectedOutcome: InjectedProblem['expectedOutcome'];
  notes?: string[];
}

/** What a scenario may use: the network, the day's clock, randomness and a way to record what it injected. */
export interface ScenarioContext {
  readonly rng: Rng;
  readonly clock: LocalClock;
  readonly network: Network;
  readonly policy: Policy;
  /** A new waybill picked up on the simulated day (its PICKUP scan already recorded). */
  newJourney(options?: JourneyOptions): Journey;
  /** Round-robin over `items` per `key`: spreads reason codes and instructions evenly across instances. */
  rotate<T>(key: string, items: readonly T[]): T;
  /** Records a problem the scenario injected on `journey`'s waybill. */
  report(journey: Journey, problem: ProblemDraft): void;
}

export interface Scenario {
  /** `family/variant`, e.g. `failed-delivery/registration-late`. */
  id: string;
  /** Relative frequency among problem waybills. */
  weight: number;
  run(ctx: ScenarioContext): void;
}
