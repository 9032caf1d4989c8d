import { TOPICS } from '#contracts';
import type { CaseClass, Policy } from '#domain';
import { LocalClock } from './clock.js';
import { Journey, type PlannedEvent, type WaybillFacts } from './journey.js';
import { buildNetwork, type Branch, type Network, type PolicyDocument } from './network.js';
import { recipientFor, senderFor, type MobileQuality } from './people.js';
import { Rng } from './prng.js';
import { SCENARIOS, type JourneyOptions, type ProblemDraft, type Scenario, type ScenarioContext } from './scenarios/index.js';
import { injectStreamFaults, type StreamFaultOptions } from './stream-faults.js';
import type { GroundTruth, InjectedProblem } from './truth.js';
import type { InputRole, WireEvent } from './wire.js';

export const DEFAULT_WAYBILLS = 7_000;
export const DEFAULT_PROBLEM_SHARE = 0.03;
export const DEFAULT_FAULTS: StreamFaultOptions = { duplicateRate: 0.01, outOfOrderRate: 0.05, lateRate: 0.1, malformed: 10 };
/** Events per waybill on average (a clean two-hub waybill has eight): sizes a day asked for by event count. */
const EVENTS_PER_WAYBILL_ESTIMATE = 7.4;

export interface GenerateDayOptions {
  seed: number;
  /** The simulated local day, `YYYY-MM-DD`: every PICKUP happens on it (deliveries may follow on later days). */
  day: string;
  /** Number of waybills picked up. Default 7,000 (about 50,000 events), unless `events` is given. */
  waybills?: number;
  /** Generate at least this many valid events (before duplicates and malformed messages). */
  events?: number;
  /** Share of waybills with an injected problem; at least one waybill per scenario. */
  problemShare?: number;
  duplicateRate?: number;
  outOfOrderRate?: number;
  lateRate?: number;
  /** Number of malformed messages. */
  malformed?: number;
  timeZone?: string;
}

/** One message as the sinks write it: `value` is the event, or a raw string for a malformed message. */
export interface Envelope {
  topic: string;
  key: string;
  value: WireEvent | Record<string, unknown> | string;
}

export interface SimulatedDay {
  network: Network;
  /** The policy file's content (what `--policy-out` writes). */
  policyDocument: PolicyDocument;
  /** The same, loaded by the shared `loadPolicy` (defaults applied). */
  policy: Policy;
  /** In stream order. */
  envelopes: Envelope[];
  truth: GroundTruth;
}

const TOPIC_OF_ROLE: Record<InputRole, string> = {
  scan: TOPICS.scan,
  exception: TOPICS.exception,
  reply: TOPICS.reply,
  action: TOPICS.action,
};

/**
 * One simulated day: the network's policy, every message in stream order, and the ground truth of what was
 * injected. A pure function of its options: the same seed and day give byte-identical output.
 */
export function generateDay(options: GenerateDayOptions): SimulatedDay {
  const network = buildNetwork({ seed: options.seed, timeZone: options.timeZone });
  const policyDocument = network.toPolicyDocument();
  const policy = network.toPolicy();
  const clock = new LocalClock(options.day, policy.timeZone);
  const dayRng = new Rng(options.seed).fork(`day:${options.day}`);
  const traffic = new Traffic(network, policy, clock, dayRng.fork('traffic'), options.seed);

  const waybillCount =
    options.waybills ?? (options.events !== undefined ? Math.ceil(options.events / EVENTS_PER_WAYBILL_ESTIMATE) : DEFAULT_WAYBILLS);
  const plan = problemPlan(waybillCount, options.problemShare ?? DEFAULT_PROBLEM_SHARE, dayRng.fork('plan'));
  for (const scenario of plan) {
    if (scenario) traffic.runScenario(scenario);
    else traffic.runOrdinary();
  }
  while (options.events !== undefined && traffic.eventCount < options.events) {
    traffic.runOrdinary();
  }

  const stream = injectStreamFaults(
    traffic.waybills,
    {
      duplicateRate: options.duplicateRate ?? DEFAULT_FAULTS.duplicateRate,
      outOfOrderRate: options.outOfOrderRate ?? DEFAULT_FAULTS.outOfOrderRate,
      lateRate: options.lateRate ?? DEFAULT_FAULTS.lateRate,
      malformed: options.malformed ?? DEFAULT_FAULTS.malformed,
    },
    dayRng.fork('faults'),
    clock,
    () => traffic.nextSeq(),
  );

  const ordered: { emitAt: number; seq: number; envelope: Envelope }[] = [
    ...stream.valid.map((planned) => ({
      emitAt: planned.emitAt,
      seq: planned.seq,
      envelope: { topic: TOPIC_OF_ROLE[planned.role], key: planned.event.waybillNo, value: planned.event },
    })),
    ...stream.malformed.map((message) => ({
      emitAt: message.emitAt,
      seq: message.seq,
      envelope: { topic: TOPIC_OF_ROLE[message.role], key: message.key, value: message.value },
    })),
  ];
  ordered.sort((a, b) => a.emitAt - b.emitAt || a.seq - b.seq);
  const envelopes = ordered.map((entry) => entry.envelope);
  keepRetractionsThatWillHappen(envelopes, stream.faults, new Set(stream.malformed.map((message) => message.eventId)));

  const byTopic: Record<string, number> = Object.fromEntries(Object.values(TOPIC_OF_ROLE).map((topic) => [topic, 0]));
  for (const envelope of envelopes) byTopic[envelope.topic] = (byTopic[envelope.topic] ?? 0) + 1;

  const problemWaybills = new Set(traffic.problems.map((problem) => problem.waybillNo)).size;
  const truth: GroundTruth = {
    seed: options.seed,
    day: options.day,
    timeZone: policy.timeZone,
    policyVersion: policy.version,
    waybills: traffic.waybills.length,
    problemWaybills,
    problemShare: traffic.waybills.length === 0 ? 0 : problemWaybills / traffic.waybills.length,
    events: { unique: traffic.eventCount, envelopes: envelopes.length, byTopic },
    stream: stream.faults,
    coverage: coverageOf(traffic.problems, traffic.scenarioRuns),
    problems: traffic.problems,
  };
  return { network, policyDocument, policy, envelopes, truth };
}

/**
 * Which waybill gets which scenario (null = an ordinary waybill). Every scenario runs at least once, so a
 * small day still covers every class; the rest are drawn by weight. Positions are shuffled across the day.
 */
function problemPlan(waybills: number, share: number, rng: Rng): (Scenario | null)[] {
  const problems = Math.min(waybills, Math.max(SCENARIOS.length, Math.round(waybills * share)));
  const chosen: Scenario[] = SCENARIOS.slice(0, problems);
  const weighted = SCENARIOS.map((scenario) => [scenario, scenario.weight] as const);
  while (chosen.length < problems) chosen.push(rng.weighted(weighted));
  const plan: (Scenario | null)[] = [...chosen, ...new Array<null>(waybills - problems).fill(null)];
  return rng.shuffle(plan);
}

/**
 * A late registration only causes an overdue record (and so a retraction) when the deadline has fired by the
 * time it arrives. On an event-time clock that means some earlier message on the stream happened after the
 * due time; a quiet night can leave the clock behind, so the candidates are checked against the final order.
 */
function keepRetractionsThatWillHappen(envelopes: readonly Envelope[], faults: GroundTruth['stream'], malformed: ReadonlySet<string>): void {
  const candidates = new Map(faults.late.items.filter((item) => item.expectRetraction).map((item) => [item.eventId, item]));
  let clock = Number.NEGATIVE_INFINITY;
  for (const envelope of envelopes) {
    if (typeof envelope.value === 'string') continue;
    const event = envelope.value as { eventId?: unknown; occurredAt?: unknown };
    // Rejected messages do not move a consumer's clock.
    if (typeof event.eventId === 'string' && malformed.has(event.eventId)) continue;
    const item = typeof event.eventId === 'string' ? candidates.get(event.eventId) : undefined;
    if (item) {
      if (clock <= Date.parse(item.expectRetraction!.dueAt)) delete item.expectRetraction;
      candidates.delete(item.eventId);
    }
    const occurredAt = typeof event.occurredAt === 'string' ? Date.parse(event.occurredAt) : Number.NaN;
    if (occurredAt > clock) clock = occurredAt;
  }
}

function coverageOf(problems: readonly InjectedProblem[], scenarioRuns: ReadonlyMap<string, number>): GroundTruth['coverage'] {
  const byClass: Partial<Record<CaseClass, number>> = {};
  const byReason: Record<string, number> = {};
  for (const problem of problems) {
    byClass[problem.caseClass] = (byClass[problem.caseClass] ?? 0) + 1;
    byReason[problem.reasonCode] = (byReason[problem.reasonCode] ?? 0) + 1;
  }
  return { byClass, byReason, byScenario: Object.fromEntries(scenarioRuns) };
}

/** The day's traffic: creates waybills, runs scenarios on them and collects their events and problems. */
class Traffic implements ScenarioContext {
  readonly waybills: PlannedEvent[][] = [];
  readonly problems: InjectedProblem[] = [];
  readonly scenarioRuns = new Map<string, number>();
  eventCount = 0;
  private seq = 0;
  private serial = 0;
  private readonly rotations = new Map<string, number>();
  private readonly origins: (readonly [Branch, number])[];
  private readonly waybillPrefix: string;
  private current: { journeys: Journey[]; scenario: string | null } = { journeys: [], scenario: null };

  constructor(
    readonly network: Network,
    readonly policy: Policy,
    readonly clock: LocalClock,
    readonly rng: Rng,
    seed: number,
  ) {
    this.origins = network.branches.map((branch) => [branch, branch.pickupWeight] as const);
    // NS + yyMMdd + two seed characters: numbers stay unique across days and differ between seeds.
    const seedTag = (seed >>> 0).toString(36).toUpperCase().padStart(2, '0').slice(-2);
    this.waybillPrefix = `NS${clock.day.slice(2).replaceAll('-', '')}${seedTag}`;
  }

  nextSeq(): number {
    return this.seq++;
  }

  rotate<T>(key: string, items: readonly T[]): T {
    const turn = this.rotations.get(key) ?? 0;
    this.rotations.set(key, turn + 1);
    return items[turn % items.length]!;
  }

  runScenario(scenario: Scenario): void {
    this.current = { journeys: [], scenario: scenario.id };
    scenario.run(this);
    this.scenarioRuns.set(scenario.id, (this.scenarioRuns.get(scenario.id) ?? 0) + 1);
    this.collect();
  }

  /** A waybill with nothing wrong: picked up, sorted, delivered. Some lack a usable mobile number. */
  runOrdinary(): void {
    this.current = { journeys: [], scenario: null };
    const mobile = this.rng.weighted<MobileQuality>([['valid', 97], ['missing', 2], ['invalid', 1]]);
    const journey = this.newJourney({ mobile });
    journey.deliver(journey.runToDestination());
    this.collect();
  }

  newJourney(options: JourneyOptions = {}): Journey {
    const { origin, destination } = this.pickRoute(options);
    const rng = this.rng;
    const { surname, ...recipient } = recipientFor(this.network, destination.code, rng, options.mobile ?? 'valid');
    this.serial += 1;
    const facts: WaybillFacts = {
      waybillNo: `${this.waybillPrefix}${String(this.serial).padStart(7, '0')}`,
      pickupAt: this.clock.at(0, rng.int(8 * 60, 18 * 60 - 1)) + rng.int(0, 59) * 1000,
      recipientSurname: surname,
      originBranch: origin.code,
      destinationBranch: destination.code,
      pieces: rng.weighted([[1, 85], [2, 10], [rng.int(3, 5), 5]]),
      weightKg: rng.int(2, 250) / 10,
      recipient,
      sender: senderFor(this.network, origin.code, rng),
      freightPayer: options.freightPayer ?? (rng.chance(0.8) ? 'SENDER' : 'RECIPIENT'),
    };
    const codMethod = options.cod === undefined ? (rng.chance(0.12) ? true : false) : options.cod;
    if (codMethod) {
      facts.cod = { amount: rng.int(990, 99_900) / 100, method: codMethod === true ? (rng.chance(0.8) ? 'CASH' : 'CHEQUE') : codMethod };
    }
    if (options.returnReceipt ?? rng.chance(0.03)) {
      facts.returnReceiptNo = `HD${rng.digits(10)}`;
    }
    const customerClass = rng.weighted([['VIP', 5], ['CORE', 15], ['POTENTIAL', 20], ['REGULAR', 50], [null, 10]] as const);
    if (customerClass) facts.customerClass = customerClass;

    const journey = new Journey({ rng, clock: this.clock, network: this.network, nextSeq: () => this.nextSeq() }, facts);
    journey.pickup();
    this.current.journeys.push(journey);
    return journey;
  }

  report(journey: Journey, draft: ProblemDraft): void {
    const format = (instant: number) => this.clock.format(instant);
    const problem: InjectedProblem = {
      waybillNo: journey.waybillNo,
      scenario: this.current.scenario ?? 'ordinary',
      caseClass: draft.caseClass,
      reasonCode: draft.reasonCode,
      detection: draft.detection,
      detectedAt: format(draft.detectedAt),
      detectedBy: draft.detectedBy,
      originBranch: journey.origin,
      deliveringBranch: journey.destination,
      expected: (draft.expected ?? []).map((expected) => {
        const met = expected.metAt !== null && (expected.dueAt === null || expected.metAt <= expected.dueAt);
        return {
          rule: expected.rule,
          outcome: met ? ('MET' as const) : ('MISSED' as const),
          party: expected.party,
          siteCode: expected.siteCode,
          ...(expected.dueAt !== null ? { dueAt: format(expected.dueAt) } : {}),
          metAt: expected.metAt === null ? null : format(expected.metAt),
          ...(expected.note ? { note: expected.note } : {}),
        };
      }),
      flags: draft.flags ?? {},
      expectedOutcome: draft.expectedOutcome,
    };
    if (draft.notes?.length) problem.notes = draft.notes;
    this.problems.push(problem);
  }

  private pickRoute(options: JourneyOptions): { origin: Branch; destination: Branch } {
    for (let attempt = 0; attempt < 200; attempt++) {
      const origin = options.origin ? this.network.branch(options.origin) : this.rng.weighted(this.origins);
      const candidates = this.network
        .destinationsFrom(origin.code)
        .filter((branch) => (!options.destination || branch.code === options.destination) && (!options.destinationFilter || options.destinationFilter(branch, origin)));
      if (candidates.length > 0) {
        return { origin, destination: this.rng.pick(candidates) };
      }
    }
    throw new RangeError('no origin/destination pair satisfies the scenario: the network cannot host it');
  }

  private collect(): void {
    for (const journey of this.current.journeys) {
      const events = journey.finish();
      this.eventCount += events.length;
      this.waybills.push(events);
    }
  }
}
