/**
 * Order independence (the engine's core promise): one waybill's events arrive over four topics, each topic in
 * its own order, interleaved arbitrarily across topics, with redeliveries. Whatever the interleaving, once the
 * timers have fired the cases, deadlines, standing liabilities and the notifications issued are the same, and
 * every armed deadline has exactly one outcome.
 */
import fc from 'fast-check';
import { idToken } from './case-identity.js';
import { effectiveLiabilities } from './liability.js';
import { action, DB, Driver, failed, HUB_A, HUB_B, HUB_OFF_ROUTE, OB, pickup, RB, registration, reply, scan, SHA, u, WB, type WireMessage } from './testing/harness.js';
import type { ProblemCase, WaybillState } from './types.js';

type FailureRegistration = 'none' | 'onTime' | 'late' | 'wrongTarget' | 'phone';

interface Scenario {
  missent: 'none' | 'branch' | 'departure' | 'hub';
  rbRegisters: 'none' | 'onTime' | 'late';
  hold: boolean;
  dwell: boolean;
  failures: { reason: string; registration: FailureRegistration; smsSent: boolean }[];
  replyInstruction: 'none' | 'DELIVER' | 'RETURN';
  ending: 'signed' | 'return' | 'transfer' | 'none';
  damage: 'none' | 'hubOnTime' | 'hubLate' | 'db';
  complaint: 'none' | 'handled' | 'ignored';
  cod: 'none' | 'withLetter' | 'withoutLetter';
  mobile: 'valid' | 'missing' | 'invalid';
  /** A second WRONG_ROUTING problem registered after the first was closed by the transshipment. */
  outOfAreaAfterArrival: boolean;
  /** SIGNED_NOT_RECEIVED reported after the delivery. */
  lossAfterSigning: boolean;
  /** LOST reported while the item is between hubs (the registration may overtake the hub scans). */
  lossInTransit: boolean;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  missent: fc.constantFrom('none', 'branch', 'departure', 'hub'),
  rbRegisters: fc.constantFrom('none', 'onTime', 'late'),
  hold: fc.boolean(),
  dwell: fc.boolean(),
  failures: fc.array(
    fc.record({
      reason: fc.constantFrom('NOBODY_HOME', 'CANNOT_PAY', 'ADDRESS_UNCLEAR'),
      registration: fc.constantFrom<FailureRegistration>('none', 'onTime', 'late', 'wrongTarget', 'phone'),
      smsSent: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
  replyInstruction: fc.constantFrom('none', 'DELIVER', 'RETURN'),
  ending: fc.constantFrom('signed', 'return', 'transfer', 'none'),
  damage: fc.constantFrom('none', 'hubOnTime', 'hubLate', 'db'),
  complaint: fc.constantFrom('none', 'handled', 'ignored'),
  cod: fc.constantFrom('none', 'withLetter', 'withoutLetter'),
  mobile: fc.constantFrom('valid', 'missing', 'invalid'),
  outOfAreaAfterArrival: fc.boolean(),
  lossAfterSigning: fc.boolean(),
  lossInTransit: fc.boolean(),
});

const DAYS = ['11-23', '11-24', '11-25', '11-26', '11-27', '11-28', '11-29'];

/** One waybill's journey as events, each topic in its natural (event-time) order. */
function journey(s: Scenario): WireMessage[] {
  const events: WireMessage[] = [];
  const recipient = { name: '欧阳娜娜', address: '上海市', gender: 'F', ...(s.mobile === 'valid' ? { mobile: '13812345678' } : s.mobile === 'invalid' ? { mobile: '12345' } : {}) };
  events.push(pickup('11-23 09:00', { recipient, ...(s.cod !== 'none' ? { cod: { amount: 100, method: 'CASH' } } : {}) }));
  const firstHub = s.missent === 'hub' ? HUB_OFF_ROUTE : HUB_A;
  events.push(scan('HUB_ARRIVAL', '11-23 12:00', firstHub));
  events.push(scan('HUB_DEPARTURE', '11-23 12:30', firstHub, { nextSiteCode: s.missent === 'departure' ? RB : HUB_B }));
  let atHubB = '11-23 14:00';
  if (s.missent === 'branch' || s.missent === 'departure') {
    events.push(scan('BRANCH_ARRIVAL', '11-23 13:30', RB));
    if (s.rbRegisters !== 'none') events.push(registration(s.rbRegisters === 'onTime' ? '11-23 14:00' : '11-23 20:00', RB, 'MISSENT'));
    atHubB = '11-23 18:00';
  }
  events.push(scan('HUB_ARRIVAL', atHubB, HUB_B));
  if (s.lossInTransit) events.push(registration('11-23 19:00', DB, 'LOST', { description: '手机一部，纸箱' }));
  if (s.hold) events.push(scan('HOLD', '11-23 19:30', HUB_B, { reasonCode: 'HELD_AT_HUB' }));
  if (s.damage === 'hubOnTime' || s.damage === 'hubLate') {
    events.push(
      registration(s.damage === 'hubOnTime' ? '11-23 21:00' : '11-24 11:00', HUB_B, 'DAMAGED', {
        evidence: [{ kind: 'PHOTO', uri: 's3://p/1.jpg', sha256: SHA('a') }],
      }),
    );
  }
  const departDay = s.dwell ? '11-24' : '11-23';
  events.push(scan('HUB_DEPARTURE', `${departDay} ${s.dwell ? '09:00' : '20:00'}`, HUB_B, { nextSiteCode: DB }));
  events.push(scan('BRANCH_ARRIVAL', `${departDay} ${s.dwell ? '10:30' : '21:30'}`, DB));
  if (s.damage === 'db') events.push(registration(`${departDay} 23:00`, DB, 'CONTAMINATED'));
  if (s.outOfAreaAfterArrival) {
    events.push(registration(`${departDay} 23:30`, DB, 'OUT_OF_AREA', { notifyBranch: OB }));
    events.push(reply(`${departDay} 23:45`, 'WRONG_ROUTING', 'SELF_PICKUP'));
  }
  if (s.cod !== 'none') {
    const letter = { signedBy: '李娜', stamped: true, verifiedWithSenderBy: '客服', evidenceSha256: SHA('b') };
    events.push(registration('11-23 15:00', OB, 'COD_AMOUNT_CHANGED', { codChange: { newAmount: 80, ...(s.cod === 'withLetter' ? { letter } : {}) } }));
    events.push(reply('11-23 16:00', 'COD_CHANGE', 'APPLY_COD_CHANGE'));
  }

  let day = s.dwell ? 2 : 1;
  s.failures.forEach((failure, i) => {
    const today = DAYS[day];
    const tomorrow = DAYS[day + 1];
    events.push(scan('OUT_FOR_DELIVERY', `${today} 08:00`, DB, { courierId: `c${i}`, courierPhone: '13700001111' }));
    events.push(failed(`${today} 10:00`, i + 1, failure.reason, { smsSent: failure.smsSent }));
    switch (failure.registration) {
      case 'onTime':
        events.push(registration(`${today} 11:00`, DB, failure.reason, { notifyBranch: OB, description: '无人' }));
        break;
      case 'late':
        events.push(registration(`${tomorrow} 01:00`, DB, failure.reason));
        break;
      case 'wrongTarget':
        events.push(registration(`${today} 11:00`, DB, failure.reason, { notifyBranch: 'B0401' }));
        break;
      case 'phone':
        events.push(
          registration(`${tomorrow} 07:00`, DB, failure.reason, {
            channel: 'PHONE_FALLBACK',
            phoneRecord: { contactName: '王', phone: '0571-1', calledAt: `2026-${today}T22:00:00+08:00` },
          }),
        );
        break;
      default:
        break;
    }
    if (i === 0 && s.replyInstruction !== 'none') events.push(reply(`${today} 15:00`, 'FAILED_DELIVERY', s.replyInstruction));
    day += 1;
  });

  const endDay = DAYS[day];
  if (s.ending === 'signed') {
    events.push(scan('SIGNED', `${endDay} 12:00`, DB, { signer: '本人' }));
    if (s.lossAfterSigning) events.push(registration(`${endDay} 18:00`, DB, 'SIGNED_NOT_RECEIVED', { description: '收件人称未收到' }));
  }
  if (s.ending === 'transfer') {
    events.push(scan('TRANSFERRED', `${endDay} 12:00`, DB, { carrier: 'SF', carrierWaybillNo: 'SF1' }));
    events.push(scan('SIGNED', `${endDay} 16:00`, DB, { signer: '王', carrier: 'SF' }));
  }
  if (s.ending === 'return') {
    events.push(scan('RETURN_DISPATCHED', `${endDay} 09:30`, DB));
    events.push(scan('HUB_ARRIVAL', `${endDay} 14:00`, HUB_A));
    events.push(scan('BRANCH_ARRIVAL', `${endDay} 18:00`, OB));
    events.push(scan('RETURN_SIGNED', `${endDay} 19:00`, OB));
  }
  if (s.complaint !== 'none') {
    events.push(registration('11-24 20:00', DB, 'DELAY', { complaint: { customerName: '张先生', customerContact: '13812345678', channel: 'PHONE' } }));
    if (s.complaint === 'handled') {
      events.push(action('11-24 21:00', 'COMPLAINT', 'COMPLAINT_CONTACTED'));
      events.push(action('11-25 09:00', 'COMPLAINT', 'COMPLAINT_RESPONDED'));
      events.push(action('11-26 10:00', 'COMPLAINT', 'COMPLAINT_ANSWERED'));
    }
  }
  return events;
}

const byTime = (a: WireMessage, b: WireMessage) => (String(a.value.occurredAt) < String(b.value.occurredAt) ? -1 : String(a.value.occurredAt) > String(b.value.occurredAt) ? 1 : 0);

/** Per-topic sequences (each in event-time order). */
function topics(events: WireMessage[]): WireMessage[][] {
  const kinds = ['scan', 'exception', 'reply', 'action'] as const;
  return kinds.map((kind) => events.filter((e) => e.kind === kind).sort(byTime));
}

/**
 * A legal delivery order: each topic keeps its order, topics interleave as `priorities` say, and each chosen
 * message is redelivered later in its own topic.
 */
function interleave(sequences: WireMessage[][], priorities: number[], duplicates: number[]): WireMessage[] {
  const withDuplicates = sequences.map((sequence) => {
    // A redelivery of message i comes right after message i + k of the same topic (never before i itself).
    const after = sequence.map((): WireMessage[] => []);
    sequence.forEach((message, i) => {
      const pick = duplicates[i % duplicates.length] ?? -1;
      if (pick >= 0 && pick % 3 === 0) after[Math.min(sequence.length - 1, i + (pick % 5))].push(message);
    });
    return sequence.flatMap((message, i) => [message, ...after[i]]);
  });
  let p = 0;
  const keyed = withDuplicates.flatMap((sequence) => {
    const keys = sequence.map(() => priorities[p++ % priorities.length] + p * 1e-9).sort((a, b) => a - b);
    return sequence.map((message, i) => ({ message, key: keys[i] }));
  });
  return keyed.sort((a, b) => a.key - b.key).map((k) => k.message);
}

/**
 * Every notification intent issued over the whole run, as the notifier would see them: a notification cannot be
 * taken back, so one issued on the way (to a target a later fact showed to be wrong) counts as much as the final
 * ones. The same id issued with different contents shows up as two entries.
 */
function notificationPlan(driver: Driver): string[] {
  const issued = driver.notifications().map((n) => `${n.id} ${n.kind} ${n.targetRole} ${n.targetSite ?? '-'} ${n.recipient ?? '-'}`);
  return [...new Set(issued)].sort();
}

function run(messages: WireMessage[]): Driver {
  const driver = new Driver();
  driver.feed(...messages);
  driver.fireAll();
  return driver;
}

/** What must not depend on the delivery order. */
function projection(state: WaybillState) {
  const project = (c: ProblemCase) => ({
    id: c.id,
    caseClass: c.caseClass,
    reasonCode: c.reasonCode,
    state: c.state,
    outcome: c.outcome,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    registeredAt: c.registeredAt,
    detectedBy: c.detectedBy,
    flags: { ...c.flags, overdue: [...c.flags.overdue].map((o) => `${o.rule}/${o.party}/${o.siteCode}`).sort() },
    deadlines: c.deadlines
      .filter((d) => d.detail?.withdrawn !== true)
      .map((d) => `${d.id} ${d.rule} ${d.dueAt} ${d.status === 'RETRACTED' ? 'MET' : d.status} ${d.party} ${d.siteCode}`)
      .sort(),
    liabilities: effectiveLiabilities(c)
      .map((l) => `${l.record.rule} ${l.party} ${l.siteCode} ${l.record.deadlineId}`)
      .sort(),
    change: (c.data as { change?: unknown }).change ?? null,
  });
  return {
    cases: [...state.cases].sort((a, b) => (a.id < b.id ? -1 : 1)).map(project),
    timers: state.timers.map((t) => `${t.id} ${t.dueAt} ${t.status === 'RETRACTED' ? 'MET' : t.status}`).sort(),
  };
}

describe('order independence (fast-check)', () => {
  it('any legal interleaving with redeliveries gives the same cases, deadlines, standing liabilities and notifications', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }),
        fc.array(fc.integer({ min: -1, max: 30 }), { minLength: 1, maxLength: 16 }),
        (scenario, priorities, duplicates) => {
          const events = journey(scenario);
          const baseline = run([...events].sort(byTime));
          const shuffled = run(interleave(topics(events), priorities, duplicates));
          expect(projection(shuffled.state!)).toEqual(projection(baseline.state!));
          expect(notificationPlan(shuffled)).toEqual(notificationPlan(baseline));
        },
      ),
      { numRuns: Number(process.env.ENGINE_PROPERTY_RUNS ?? 150) },
    );
  });

  it('every armed deadline ends in exactly one outcome once its timers have fired', () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }), (scenario, priorities) => {
        const driver = run(interleave(topics(journey(scenario)), priorities, [-1]));
        const all = [...driver.cases.flatMap((c) => c.deadlines), ...driver.state!.timers];
        for (const deadline of all) {
          expect(['MET', 'MISSED', 'CANCELLED', 'RETRACTED']).toContain(deadline.status);
        }
        // The effect stream agrees: each armed deadline reached a final outcome at least once.
        const armed = new Set(driver.effectsOf('DeadlineArmed').map((e) => e.deadline.id));
        const settled = new Set(
          [...driver.effectsOf('DeadlineMet'), ...driver.effectsOf('DeadlineMissed'), ...driver.effectsOf('DeadlineCancelled')].map((e) => e.deadline.id),
        );
        for (const id of armed) expect(settled.has(id)).toBe(true);
        // Liabilities only ever come from MISSED deadlines, and retractions only from RETRACTED ones.
        for (const c of driver.cases) {
          for (const record of c.liabilities) {
            const deadline = c.deadlines.find((d) => d.id === record.deadlineId);
            if (record.kind === 'RECORD') expect(['MISSED', 'RETRACTED']).toContain(deadline?.status);
            if (record.kind === 'RETRACTION') expect(deadline?.status).toBe('RETRACTED');
          }
        }
      }),
      { numRuns: Number(process.env.ENGINE_PROPERTY_RUNS ?? 100) },
    );
  });
});

/**
 * Examples of the notifications whose target or case a fact on another topic decides, each delivered in event
 * time order and in an order where the deciding fact comes late: the same notifications either way.
 */
describe('notifications do not depend on which topic delivers first', () => {
  const planOf = (...messages: WireMessage[]) => notificationPlan(run(messages));
  const targets = (driver: Driver, kind: string) => driver.notifications(kind).map((n) => `${n.targetRole} ${n.targetSite}`).sort();

  it('LOSS: a hub scan processed after the registration still gets its search alert, and only hubs reached by then', () => {
    const start = pickup('11-23 06:00');
    const atHubA = scan('HUB_ARRIVAL', '11-23 09:00', HUB_A);
    const atHubB = scan('HUB_ARRIVAL', '11-23 14:00', HUB_B);
    const lost = registration('11-23 15:00', DB, 'LOST', { description: '手机一部' });
    const laterHub = scan('HUB_ARRIVAL', '11-23 18:00', HUB_OFF_ROUTE);
    const overtaken = run([start, lost, atHubA, atHubB, laterHub]);
    expect(targets(overtaken, 'SEARCH')).toEqual([`DB ${DB}`, `HUB ${HUB_A}`, `HUB ${HUB_B}`]);
    expect(new Set(overtaken.notifications('SEARCH').map((n) => n.eventTime))).toEqual(new Set([u('11-23 15:00')]));
    expect(notificationPlan(overtaken)).toEqual(planOf(start, atHubA, atHubB, lost, laterHub));
    // In between: one hub known when the registration is processed, the other one after it.
    expect(planOf(start, atHubA, lost, atHubB, laterHub)).toEqual(notificationPlan(overtaken));
  });

  it('freight change: a courier whose OUT_FOR_DELIVERY arrives after the change was APPLIED is told too', () => {
    const start = pickup('11-23 06:00', { freightPayer: 'RECIPIENT' });
    const change = registration('11-23 10:00', DB, 'FREIGHT_COLLECT_TO_PREPAID', { paymentChange: { newFreightPayer: 'SENDER' } });
    const apply = reply('11-23 10:30', 'PAYMENT_CHANGE', 'APPLY_PAYMENT_CHANGE');
    const before = scan('OUT_FOR_DELIVERY', '11-23 09:00', DB, { courierId: 'c1', courierPhone: '13700001111' });
    const after = scan('OUT_FOR_DELIVERY', '11-24 09:00', DB, { courierId: 'c2' });
    const late = run([start, change, apply, before, after]);
    expect(late.notifications('COURIER').map((n) => [n.recipient, n.channel, n.eventTime])).toEqual([
      ['13700001111', 'SMS', u('11-23 10:30')],
      ['c2', 'BRANCH_ALERT', u('11-24 09:00')],
    ]);
    expect(notificationPlan(late)).toEqual(planOf(start, before, change, apply, after));
  });

  it('failed delivery: the branch is alerted even when its registration was processed before the scan', () => {
    const start = pickup('11-23 06:00');
    const failure = failed('11-23 10:00', 1);
    const registered = registration('11-23 11:00', DB, 'NOBODY_HOME', { notifyBranch: OB });
    const overtaken = run([start, registered, failure]);
    expect(targets(overtaken, 'SITE_ALERT')).toEqual([`DB ${DB}`]);
    expect(notificationPlan(overtaken)).toEqual(planOf(start, failure, registered));
  });

  it('a registration that arrives before the PICKUP still reaches the OB', () => {
    const start = pickup('11-23 06:00');
    const damaged = registration('11-23 10:00', DB, 'DAMAGED');
    const overtaken = run([damaged, start]);
    expect(targets(overtaken, 'OB_ALERT')).toEqual([`OB ${OB}`]);
    expect(notificationPlan(overtaken)).toEqual(planOf(start, damaged));
  });

  it('a registration or reply moved to the next case by a closing that arrived after it keeps its one notification', () => {
    const start = pickup('11-23 06:00');
    const hold = scan('HOLD', '11-23 09:00', HUB_B, { reasonCode: 'HELD_AT_HUB' });
    const transshipped = scan('BRANCH_ARRIVAL', '11-23 12:00', DB);
    const outOfArea = registration('11-23 13:00', DB, 'OUT_OF_AREA', { notifyBranch: OB });
    const choice = reply('11-23 14:00', 'WRONG_ROUTING', 'SELF_PICKUP');
    const overtaken = run([start, hold, outOfArea, choice, transshipped]);
    expect(overtaken.case('WRONG_ROUTING', 2).registeredAt).toBe(u('11-23 13:00'));
    const alerts = overtaken.notifications().filter((n) => n.kind === 'OB_ALERT' || n.kind === 'INSTRUCTION');
    expect(alerts.map((n) => n.id).sort()).toEqual([
      `${WB}-INSTRUCTION-${DB}-reply-${idToken(String(choice.value.eventId))}`,
      `${WB}-OB_ALERT-${OB}-reg-${idToken(String(outOfArea.value.eventId))}`,
    ]);
    expect(notificationPlan(overtaken)).toEqual(planOf(start, hold, transshipped, outOfArea, choice));
  });
});
