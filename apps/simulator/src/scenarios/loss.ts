import type { Journey } from '../journey.js';
import { deadline, MINUTE, within } from './support.js';
import type { DeadlineDraft, Scenario, ScenarioContext } from './types.js';

/** LOSS (rules.md §5): declared value, packaging and item name recorded; supervisor within 2 h (S1); HQ settles. */

const CLASS = 'LOSS';
const ITEMS = ['手机', '蓝牙耳机', '羊毛大衣', '茶叶礼盒', '奶粉', '笔记本电脑', '合同文件', '化妆品套装'];
const PACKAGING = ['纸箱', '防水袋', '木箱', '泡沫箱'];

function lossDescription(journey: Journey): string {
  return `申报价值¥${journey.rng.int(50, 8000)}，包装：${journey.rng.pick(PACKAGING)}，内件品名：${journey.rng.pick(ITEMS)}`;
}

function s1(ctx: ScenarioContext, site: string, registeredAt: number): DeadlineDraft {
  const hasSupervisor = Boolean(ctx.policy.sites[site]?.staff?.supervisor);
  return deadline('S1', null, site, registeredAt + ctx.policy.durations.s1 * MINUTE, hasSupervisor ? registeredAt : null);
}

/** Lost inside a hub: nothing moves after its HUB_ARRIVAL, so the dwell limit also opens HELD_AT_HUB. */
const lostAtHub: Scenario = {
  id: 'loss/lost-at-hub',
  weight: 1,
  run(ctx) {
    const journey = ctx.newJourney();
    const hub = ctx.network.branch(journey.origin).homeHub;
    const arrivedAt = journey.leaveOrigin();
    const registeredAt = journey.later(arrivedAt, 6 * 60, 11 * 60);
    journey.register(registeredAt, hub, 'LOST', { description: `分拨中心查无此件：${lossDescription(journey)}`, notifyBranch: journey.origin });
    const resolvedAt = journey.later(registeredAt, 20 * 60, 40 * 60);
    journey.action(resolvedAt, CLASS, 'RESOLVE', { note: '总部复核：确认遗失，按申报价值赔付寄件人' });
    journey.action(journey.later(resolvedAt, 1, 10), 'WRONG_ROUTING', 'RESOLVE', { note: '快件已确认遗失，滞留件一并结案' });
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'LOST',
      detection: 'REGISTRATION',
      detectedAt: registeredAt,
      detectedBy: `registration by hub ${hub}`,
      expected: [s1(ctx, hub, registeredAt)],
      expectedOutcome: 'RESOLVED',
    });
    ctx.report(journey, {
      caseClass: 'WRONG_ROUTING',
      reasonCode: 'HELD_AT_HUB',
      detection: 'DWELL_TIMER',
      detectedAt: arrivedAt + ctx.policy.hubDwellLimitMinutes * MINUTE,
      detectedBy: `no onward movement from ${hub} after its HUB_ARRIVAL (the item was lost there)`,
      expectedOutcome: 'RESOLVED',
    });
  },
};

/** Lost at the delivering branch before delivery: the sender cancels and HQ settles. */
const lostAtBranch: Scenario = {
  id: 'loss/lost-at-delivering-branch',
  weight: 1,
  run(ctx) {
    const journey = ctx.newJourney();
    const arrivedAt = journey.runToDestination();
    const registeredAt = journey.later(arrivedAt, 3 * 60, 10 * 60);
    journey.register(registeredAt, journey.destination, 'LOST', { description: `网点遗失：${lossDescription(journey)}`, notifyBranch: journey.origin });
    const d5DueAt = registeredAt + ctx.policy.durations.d5 * MINUTE;
    const repliedAt = within(journey, registeredAt, d5DueAt, 60, 12 * 60);
    journey.reply(repliedAt, CLASS, 'CANCEL');
    journey.action(journey.later(repliedAt, 4 * 60, 20 * 60), CLASS, 'RESOLVE', { note: '总部复核：派件网点遗失，网点承担赔付' });
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'LOST',
      detection: 'REGISTRATION',
      detectedAt: registeredAt,
      detectedBy: `registration by the delivering branch ${journey.destination}`,
      expected: [s1(ctx, journey.destination, registeredAt), deadline('D5', 'OB', journey.origin, d5DueAt, repliedAt)],
      expectedOutcome: 'RESOLVED',
    });
  },
};

/** Signed for, but the recipient says it never arrived (不是本人签收). */
const signedNotReceived: Scenario = {
  id: 'loss/signed-not-received',
  weight: 1,
  run(ctx) {
    const journey = ctx.newJourney();
    const signedAt = journey.deliver(journey.runToDestination());
    const registeredAt = journey.later(signedAt, 4 * 60, 20 * 60);
    journey.register(registeredAt, journey.destination, 'SIGNED_NOT_RECEIVED', {
      description: `收件人称未收到快件，签收人非本人：${lossDescription(journey)}`,
      notifyBranch: journey.origin,
    });
    journey.action(journey.later(registeredAt, 3 * 60, 18 * 60), CLASS, 'RESOLVE', { note: '总部复核：调取签收记录，派件员代签，网点赔付' });
    ctx.report(journey, {
      caseClass: CLASS,
      reasonCode: 'SIGNED_NOT_RECEIVED',
      detection: 'REGISTRATION',
      detectedAt: registeredAt,
      detectedBy: `registration by the delivering branch ${journey.destination} after SIGNED`,
      expected: [s1(ctx, journey.destination, registeredAt)],
      expectedOutcome: 'RESOLVED',
    });
  },
};

export const lossScenarios: readonly Scenario[] = [lostAtHub, lostAtBranch, signedNotReceived];
