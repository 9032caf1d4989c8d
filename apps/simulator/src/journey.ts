import type { RuleId } from '#domain';
import type { LocalClock } from './clock.js';
import type { Branch, Courier, Network } from './network.js';
import { mobileNumber } from './network.js';
import { staffName } from './people.js';
import type { Rng } from './prng.js';
import type {
  ActionEvent,
  CaseAction,
  CommonFields,
  Evidence,
  ExceptionEvent,
  InputRole,
  Instruction,
  PickupFields,
  ReplyEvent,
  ScanEvent,
  ScanType,
  WireEvent,
} from './wire.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

function wholeSecond(instant: number): number {
  return Math.floor(instant / SECOND) * SECOND;
}

/** One event of the day, with the instant it happened and the instant it reaches the stream. */
export interface PlannedEvent {
  role: InputRole;
  /** `occurredAt` as epoch milliseconds. */
  at: number;
  /** When the message is put on the stream; assigned by `Journey.finish` and moved by the stream-fault pass. */
  emitAt: number;
  /** Creation order across the day: the tie-breaker that keeps the output stable. */
  seq: number;
  event: WireEvent;
  /**
   * A registration that meets a deadline armed before it (by a scan: D4 by DELIVERY_FAILED, D2/D3 of a MISSENT
   * detected on arrival): lets the late-event pass say when a retraction is due.
   */
  meets?: { rule: RuleId; dueAt: number };
}

export interface WaybillFacts extends PickupFields {
  waybillNo: string;
  pickupAt: number;
  recipientSurname: string;
}

export interface JourneyEnvironment {
  rng: Rng;
  clock: LocalClock;
  network: Network;
  /** Next global creation number. */
  nextSeq(): number;
}

/**
 * The life of one waybill, built event by event in time order. Scenarios drive it through the network with
 * the movement primitives (`leaveOrigin`, `hubLeg`, `lineHaul`, `toBranch`, `outForDelivery` …) and add
 * registrations, replies and actions; `runToDestination` and `deliver` are the undisturbed path.
 */
export class Journey {
  readonly events: PlannedEvent[] = [];
  /** Latest HUB_DEPARTURE toward each branch: the theoretical arrival of D3 is computed from it. */
  readonly departuresToward = new Map<string, { hub: string; at: number }>();
  /** The courier on the latest OUT_FOR_DELIVERY. */
  courier: Courier | null = null;
  private eventNo = 0;
  private evidenceNo = 0;

  constructor(
    private readonly env: JourneyEnvironment,
    readonly facts: WaybillFacts,
  ) {}

  get waybillNo(): string {
    return this.facts.waybillNo;
  }

  get origin(): string {
    return this.facts.originBranch;
  }

  get destination(): string {
    return this.facts.destinationBranch;
  }

  get rng(): Rng {
    return this.env.rng;
  }

  get network(): Network {
    return this.env.network;
  }

  get clock(): LocalClock {
    return this.env.clock;
  }

  /** `t` plus a random whole number of seconds between `minMinutes` and `maxMinutes`. */
  later(t: number, minMinutes: number, maxMinutes: number): number {
    return wholeSecond(t) + this.rng.int(minMinutes * 60, maxMinutes * 60) * SECOND;
  }

  // ---------------------------------------------------------------- movement

  pickup(): number {
    const { waybillNo: _waybillNo, pickupAt, recipientSurname: _surname, ...fields } = this.facts;
    this.scan('PICKUP', pickupAt, this.origin, fields);
    return pickupAt;
  }

  /** Picked-up items leave on the origin branch's next departure and arrive at its home hub. */
  leaveOrigin(): number {
    const branch = this.network.branch(this.origin);
    const departure = this.clock.nextSlotAfter(this.facts.pickupAt, branch.departures);
    const arrival = this.later(departure, branch.minutesToHub, branch.minutesToHub + 15);
    this.hubArrival(branch.homeHub, arrival);
    return arrival;
  }

  hubArrival(hub: string, at: number): number {
    this.scan('HUB_ARRIVAL', at, hub, {});
    return at;
  }

  /** Sorting time at a hub, then the departure toward `next` (a hub or a branch); returns the departure time. */
  hubLeg(hub: string, arrivedAt: number, next: string, dwellMinutes?: number): number {
    const departure =
      dwellMinutes === undefined ? this.later(arrivedAt, 60, 240) : arrivedAt + dwellMinutes * MINUTE + this.rng.int(0, 59) * SECOND;
    this.hubDeparture(hub, departure, next);
    return departure;
  }

  hubDeparture(hub: string, at: number, next: string): number {
    this.scan('HUB_DEPARTURE', at, hub, { nextSiteCode: next });
    const latest = this.departuresToward.get(next);
    if (this.network.branchByCode.has(next) && (!latest || latest.at <= at)) {
      this.departuresToward.set(next, { hub, at });
    }
    return at;
  }

  /** The line-haul truck from one hub to the next; returns the HUB_ARRIVAL time. */
  lineHaul(fromHub: string, toHub: string, departedAt: number): number {
    const minutes = this.network.lineHaulMinutes(fromHub, toHub);
    return this.hubArrival(toHub, this.later(departedAt, minutes, minutes + 20));
  }

  /** The delivery van from a hub to `branch`; returns the BRANCH_ARRIVAL time (actual, around the route table's). */
  toBranch(branchCode: string, departedAt: number): number {
    const branch = this.network.branch(branchCode);
    const arrival = this.later(departedAt, Math.max(5, branch.driveMinutes - 10), branch.driveMinutes + 30);
    this.scan('BRANCH_ARRIVAL', arrival, branchCode, {});
    return arrival;
  }

  /**
   * The path from the origin to the delivering branch's home hub; returns that hub and the HUB_ARRIVAL time
   * there. `atHub` may take over a stay at an earlier hub (hold it, register something, let it dwell): it
   * records the HUB_DEPARTURE toward `next` itself and returns its time, or returns undefined for the
   * ordinary sorting time.
   */
  travelToLastHub(atHub?: (hub: string, arrivedAt: number, next: string, index: number) => number | undefined): {
    hub: string;
    arrivedAt: number;
  } {
    const hubs = this.network.hubPath(this.origin, this.destination);
    let t = this.leaveOrigin();
    for (let i = 0; i + 1 < hubs.length; i++) {
      const departed = atHub?.(hubs[i]!, t, hubs[i + 1]!, i) ?? this.hubLeg(hubs[i]!, t, hubs[i + 1]!);
      t = this.lineHaul(hubs[i]!, hubs[i + 1]!, departed);
    }
    return { hub: hubs[hubs.length - 1]!, arrivedAt: t };
  }

  /** The whole path to the delivering branch (see `travelToLastHub` for `atHub`); returns the BRANCH_ARRIVAL time. */
  runToDestination(atHub?: (hub: string, arrivedAt: number, next: string, index: number) => number | undefined): number {
    const last = this.travelToLastHub(atHub);
    const index = this.network.hubPath(this.origin, this.destination).length - 1;
    const departed = atHub?.(last.hub, last.arrivedAt, this.destination, index) ?? this.hubLeg(last.hub, last.arrivedAt, this.destination);
    return this.toBranch(this.destination, departed);
  }

  /** The theoretical arrival at `branchCode` (D3) and its basis, as the engine should compute it. */
  theoreticalArrival(branchCode: string, actualArrival: number): { at: number; basis: 'THEORETICAL' | 'ACTUAL' } {
    const departed = this.departuresToward.get(branchCode);
    const branch = this.network.branch(branchCode);
    // The route table only has home hub → branch entries (and not even those for every branch).
    if (departed && departed.hub === branch.homeHub && branch.routeMinutes !== null) {
      return { at: departed.at + branch.routeMinutes * MINUTE, basis: 'THEORETICAL' };
    }
    return { at: actualArrival, basis: 'ACTUAL' };
  }

  /** A courier takes the item out on the branch's next delivery wave at least `gapMinutes` after `readyAt`. */
  outForDelivery(readyAt: number, gapMinutes = 20, site = this.destination): number {
    const branch = this.network.branch(site);
    const out = this.later(this.clock.nextSlotAfter(readyAt + gapMinutes * MINUTE, branch.deliveryWaves), 0, 10);
    this.courier = this.rng.pick(branch.couriers);
    const fields: Partial<ScanEvent> = { courierId: this.courier.id };
    if (this.rng.chance(0.9)) fields.courierPhone = this.courier.phone;
    this.scan('OUT_FOR_DELIVERY', out, site, fields);
    return out;
  }

  /** An out-for-delivery at a given instant (evening runs, re-deliveries arranged by phone). */
  outForDeliveryAt(at: number, site = this.destination): number {
    const branch: Branch = this.network.branch(site);
    this.courier = this.rng.pick(branch.couriers);
    this.scan('OUT_FOR_DELIVERY', at, site, { courierId: this.courier.id, courierPhone: this.courier.phone });
    return at;
  }

  failed(at: number, reasonCode: string, attempt: number, smsSent: boolean, site = this.destination): number {
    const fields: Partial<ScanEvent> = { reasonCode, attempt };
    // Older handhelds do not report the flag at all; the engine must treat that as "not sent".
    if (smsSent || this.rng.chance(0.7)) fields.smsSent = smsSent;
    this.scan('DELIVERY_FAILED', at, site, fields);
    return at;
  }

  signed(at: number, options: { site?: string; carrier?: string; signer?: string } = {}): number {
    const fields: Partial<ScanEvent> = {
      signer: options.signer ?? this.rng.weighted([[this.facts.recipient.name, 6], ['本人', 3], ['前台代收', 1], ['门卫代收', 1]]),
    };
    if (options.carrier) fields.carrier = options.carrier;
    this.scan('SIGNED', at, options.site ?? this.destination, fields);
    return at;
  }

  /** Out on the next wave, signed within a few hours; returns the SIGNED time. */
  deliver(readyAt: number, gapMinutes = 20): number {
    const out = this.outForDelivery(readyAt, gapMinutes);
    return this.signed(this.later(out, 20, 240));
  }

  hold(hub: string, at: number, reasonCode?: string): number {
    this.scan('HOLD', at, hub, reasonCode ? { reasonCode } : {});
    return at;
  }

  returnDispatched(at: number, site = this.destination): number {
    this.scan('RETURN_DISPATCHED', at, site, {});
    return at;
  }

  /** The returned item signed for by the sender at the origin branch. */
  returnSigned(at: number): number {
    this.scan('RETURN_SIGNED', at, this.origin, {});
    return at;
  }

  transferred(at: number, carrier: string, site = this.destination): number {
    this.scan('TRANSFERRED', at, site, { carrier, carrierWaybillNo: `${this.rng.pick(['EA', 'SF', 'JD', 'DP'])}${this.rng.digits(12)}` });
    return at;
  }

  // ------------------------------------------------------- registrations, replies, actions

  /** A problem registration by `site` (a hub or a branch; siteType follows from the network). */
  register(
    at: number,
    site: string,
    reasonCode: string,
    fields: Partial<Omit<ExceptionEvent, keyof CommonFields | 'reasonCode'>> = {},
    meets?: { rule: RuleId; dueAt: number },
  ): ExceptionEvent {
    const event: ExceptionEvent = {
      ...this.common(at, site),
      reasonCode,
      ...fields,
    };
    this.push('exception', at, event, meets);
    return event;
  }

  /** The origin branch's instruction (or HQ's, acting for it). */
  reply(at: number, caseClass: string, instruction: Instruction, options: { fromHq?: boolean; newAddress?: string } = {}): ReplyEvent {
    const event: ReplyEvent = {
      ...this.common(at, options.fromHq ? 'HQ' : this.origin),
      caseRef: { waybillNo: this.waybillNo, class: caseClass },
      instruction,
      repliedBy: staffName(this.rng),
    };
    if (options.newAddress) event.newAddress = options.newAddress;
    this.push('reply', at, event);
    return event;
  }

  action(at: number, caseClass: string, action: CaseAction, options: { note?: string; site?: string } = {}): ActionEvent {
    const event: ActionEvent = {
      ...this.common(at, options.site ?? 'HQ'),
      caseRef: { waybillNo: this.waybillNo, class: caseClass },
      action,
      actor: staffName(this.rng),
    };
    if (options.note) event.note = options.note;
    this.push('action', at, event);
    return event;
  }

  /** A stored piece of evidence (the hash stands for the stored file's SHA-256). */
  evidence(kind: Evidence['kind']): Evidence {
    this.evidenceNo += 1;
    const extension = kind === 'PHOTO' ? 'jpg' : 'pdf';
    return {
      kind,
      uri: `https://evidence.sim-courier.example.com/${this.waybillNo}/${this.evidenceNo}.${extension}`,
      sha256: this.rng.hex(64),
    };
  }

  /** A phone number for a staff member (phone fallback records). */
  staffPhone(): string {
    return mobileNumber(this.rng);
  }

  /** An event-time field (`calledAt`): recorded to the second, like every event time. */
  format(at: number): string {
    return this.clock.format(wholeSecond(at));
  }

  /**
   * Puts the events in time order and assigns stream times: each message reaches the stream shortly after it
   * happened, and never before an earlier event of the same waybill (the injected faults come later).
   */
  finish(): PlannedEvent[] {
    this.events.sort((a, b) => a.at - b.at || a.seq - b.seq);
    let previous = Number.NEGATIVE_INFINITY;
    for (const planned of this.events) {
      const uploadSeconds = planned.role === 'scan' ? this.rng.int(2, 90) : this.rng.int(5, 180);
      planned.emitAt = Math.max(planned.at + uploadSeconds * SECOND, previous + SECOND);
      previous = planned.emitAt;
    }
    return this.events;
  }

  // ---------------------------------------------------------------- internals

  private scan(scanType: ScanType, at: number, site: string, fields: Partial<ScanEvent>): void {
    const event: ScanEvent = { ...this.common(at, site), scanType, ...fields };
    this.push('scan', at, event);
  }

  private common(at: number, site: string): CommonFields {
    // Sites record event times to the second; due times such as 23:59:59.999 stay out of the events.
    const siteType = site === 'HQ' ? 'HQ' : this.network.hubByCode.has(site) ? 'HUB' : 'BRANCH';
    this.eventNo += 1;
    return {
      eventId: `${this.waybillNo}-${String(this.eventNo).padStart(2, '0')}`,
      schemaVersion: 1,
      waybillNo: this.waybillNo,
      occurredAt: this.clock.format(wholeSecond(at)),
      siteCode: site,
      siteType,
      operatorId: `${site}-OP${String(this.rng.int(1, 30)).padStart(2, '0')}`,
    };
  }

  private push(role: InputRole, at: number, event: WireEvent, meets?: { rule: RuleId; dueAt: number }): void {
    const second = wholeSecond(at);
    const planned: PlannedEvent = { role, at: second, emitAt: second, seq: this.env.nextSeq(), event };
    if (meets) planned.meets = meets;
    this.events.push(planned);
  }
}
