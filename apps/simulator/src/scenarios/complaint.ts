import { c3Due, deadline, HOUR, MINUTE } from './support.js';
import type { Scenario } from './types.js';

/** COMPLAINT (C1 first contact 12 h, C2 first response 24 h, C3 final answer in 3 working days). */

const CLASS = 'COMPLAINT';
const REASONS = ['DELAY', 'SERVICE_ATTITUDE', 'CHASE', 'TRACE'] as const;
const DESCRIPTIONS: Record<(typeof REASONS)[number], string> = {
  DELAY: '客户投诉快件延误未按时送达',
  SERVICE_ATTITUDE: '客户投诉派件员服务态度差',
  CHASE: '客户催件，要求尽快派送',
  TRACE: '客户查询快件物流轨迹',
};

type Handling = 'on-time' | 'late-contact' | 'never-answered' | 'resolved';

function scenario(handling: Handling, weight: number): Scenario {
  return {
    id: `complaint/${handling}`,
    weight,
    run(ctx) {
      const reason = ctx.rotate(`complaint/reason-${handling}`, REASONS);
      const journey = ctx.newJourney();
      const arrivedAt = journey.runToDestination();
      const signedAt = journey.deliver(arrivedAt);
      // Complaints about the service come after delivery; delay, chase and trace while the item travels.
      const registeredAt = reason === 'SERVICE_ATTITUDE' ? journey.later(signedAt, 30, 6 * 60) : journey.later(journey.facts.pickupAt, 6 * 60, 12 * 60);
      // Customer service at the origin branch takes the complaint (a case the delivering branch registers would
      // also await the origin branch's reply, D5, which a complaint does not).
      const customer = reason === 'SERVICE_ATTITUDE' ? journey.facts.recipient : journey.facts.sender;
      journey.register(registeredAt, journey.origin, reason, {
        description: DESCRIPTIONS[reason],
        complaint: {
          customerName: customer.name,
          customerContact: customer.mobile ?? `${journey.waybillNo.toLowerCase()}@customer.example.com`,
          channel: journey.rng.pick(['PHONE', 'ONLINE', 'EMAIL', 'OTHER'] as const),
        },
      });
      const c1Due = registeredAt + ctx.policy.durations.c1 * MINUTE;
      const c2Due = registeredAt + ctx.policy.durations.c2 * MINUTE;
      const c3DueAt = c3Due(ctx, registeredAt);
      const contactedAt = handling === 'late-contact' ? journey.later(c1Due, 30, 6 * 60) : journey.later(registeredAt, 20, 6 * 60);
      journey.action(contactedAt, CLASS, 'COMPLAINT_CONTACTED', { note: '已致电客户，说明处理进度' });
      const expected = [deadline('C1', null, null, c1Due, contactedAt)];
      let outcome: 'RESOLVED' | 'ANSWERED' | null = null;
      if (handling === 'resolved') {
        journey.action(journey.later(contactedAt, 30, 4 * 60), CLASS, 'RESOLVE', { note: '客户已撤诉，问题已解决' });
        outcome = 'RESOLVED';
      } else {
        const respondedAt = handling === 'late-contact' ? Math.max(journey.later(c2Due, 30, 5 * 60), contactedAt + MINUTE) : journey.later(contactedAt, 30, 10 * 60);
        journey.action(respondedAt, CLASS, 'COMPLAINT_RESPONDED', { note: '已给出初步处理意见' });
        expected.push(deadline('C2', null, null, c2Due, respondedAt));
        if (handling === 'never-answered') {
          expected.push(deadline('C3', null, null, c3DueAt, null));
        } else {
          const answeredAt = Math.min(journey.later(respondedAt, 2 * 60, 30 * 60), c3DueAt - HOUR);
          journey.action(answeredAt, CLASS, 'COMPLAINT_ANSWERED', { note: '最终答复：已核实并致歉，给予运费补偿' });
          expected.push(deadline('C3', null, null, c3DueAt, answeredAt));
          outcome = 'ANSWERED';
        }
      }
      ctx.report(journey, {
        caseClass: CLASS,
        reasonCode: reason,
        detection: 'REGISTRATION',
        detectedAt: registeredAt,
        detectedBy: `complaint registered by the origin branch ${journey.origin}`,
        expected,
        expectedOutcome: outcome,
      });
    },
  };
}

export const complaintScenarios: readonly Scenario[] = [
  scenario('on-time', 4),
  scenario('late-contact', 2),
  scenario('never-answered', 1),
  scenario('resolved', 1),
];
