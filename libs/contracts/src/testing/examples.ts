/**
 * One valid wire example of every input event type of events.md, for tests (not exported from the library).
 * Each function returns a fresh object, so a test may mutate it into a bad input.
 */
export const WAYBILL = 'ZT1234567890';

export const validExamples = {
  pickup: () => ({
    eventId: 'e-pickup-1',
    schemaVersion: 1,
    waybillNo: WAYBILL,
    occurredAt: '2026-11-23T09:30:00+08:00',
    siteCode: 'B0101',
    siteType: 'BRANCH',
    operatorId: 'op-7',
    scanType: 'PICKUP',
    originBranch: 'B0101',
    destinationBranch: 'B0201',
    pieces: 1,
    weightKg: 1.25,
    recipient: { name: '张伟', mobile: '13812345678', address: '上海市浦东新区世纪大道 100 号', gender: 'M' },
    sender: { name: '李娜', mobile: '13900001111', address: '杭州市西湖区文三路 1 号' },
    cod: { amount: 128.5, method: 'CASH' },
    freightPayer: 'SENDER',
    returnReceiptNo: 'RR001',
    customerClass: 'VIP',
  }),
  hubArrival: () => scan('HUB_ARRIVAL', { siteCode: 'H01', siteType: 'HUB' }),
  hubDeparture: () => scan('HUB_DEPARTURE', { siteCode: 'H01', siteType: 'HUB', nextSiteCode: 'B0201' }),
  hold: () => scan('HOLD', { siteCode: 'H01', siteType: 'HUB', reasonCode: 'HELD_AT_HUB' }),
  branchArrival: () => scan('BRANCH_ARRIVAL', { siteCode: 'B0201' }),
  outForDelivery: () => scan('OUT_FOR_DELIVERY', { siteCode: 'B0201', courierId: 'c-9', courierPhone: '13700002222' }),
  deliveryFailed: () => scan('DELIVERY_FAILED', { siteCode: 'B0201', reasonCode: 'NOBODY_HOME', attempt: 1, smsSent: false }),
  signed: () => scan('SIGNED', { siteCode: 'B0201', signer: '本人' }),
  signedByCarrier: () => scan('SIGNED', { siteCode: 'B0201', signer: '王', carrier: 'SF' }),
  returnDispatched: () => scan('RETURN_DISPATCHED', { siteCode: 'B0201' }),
  returnSigned: () => scan('RETURN_SIGNED', { siteCode: 'B0101' }),
  transferred: () => scan('TRANSFERRED', { siteCode: 'B0201', carrier: 'SF', carrierWaybillNo: 'SF0001' }),
  registration: () => ({
    ...common('e-exc-1', 'B0201', 'BRANCH'),
    reasonCode: 'NOBODY_HOME',
    description: '电话无人接听',
    notifyBranch: 'B0101',
    evidence: [{ kind: 'PHOTO', uri: 's3://evidence/1.jpg', sha256: 'a'.repeat(64) }],
  }),
  phoneFallback: () => ({
    ...common('e-exc-2', 'B0201', 'BRANCH'),
    occurredAt: '2026-11-23T18:00:00+08:00',
    reasonCode: 'ADDRESS_UNCLEAR',
    channel: 'PHONE_FALLBACK',
    phoneRecord: { contactName: '王经理', phone: '0571-88886666', calledAt: '2026-11-23T15:00:00+08:00' },
  }),
  codChange: () => ({
    ...common('e-exc-3', 'B0101', 'BRANCH'),
    reasonCode: 'COD_AMOUNT_CHANGED',
    codChange: {
      newAmount: 99.99,
      letter: { signedBy: '李娜', stamped: true, verifiedWithSenderBy: '客服小王', evidenceSha256: 'b'.repeat(64) },
    },
  }),
  paymentChange: () => ({
    ...common('e-exc-4', 'B0201', 'BRANCH'),
    reasonCode: 'WEIGHT_MISMATCH',
    paymentChange: { actualWeightKg: 3.5, newFreightAmount: 18 },
    evidence: [{ kind: 'PHOTO', uri: 's3://evidence/w.jpg', sha256: 'c'.repeat(64) }],
  }),
  complaint: () => ({
    ...common('e-exc-5', 'B0201', 'BRANCH'),
    reasonCode: 'DELAY',
    complaint: { customerName: '张先生', customerContact: '13812345678', channel: 'PHONE' },
  }),
  replyByCaseNo: () => ({
    ...common('e-rep-1', 'B0101', 'BRANCH'),
    caseRef: { caseNo: 'PI-202611-0000001' },
    instruction: 'RETURN',
    repliedBy: '赵主管',
  }),
  replyByClass: () => ({
    ...common('e-rep-2', 'HQ', 'HQ'),
    caseRef: { waybillNo: WAYBILL, class: 'FAILED_DELIVERY' },
    instruction: 'REDELIVER_NEW_ADDRESS',
    newAddress: '上海市徐汇区漕溪北路 1 号',
    repliedBy: '总部客服',
  }),
  action: () => ({
    ...common('e-act-1', 'B0201', 'BRANCH'),
    caseRef: { waybillNo: WAYBILL, class: 'COMPLAINT' },
    action: 'RESOLVE',
    actor: '运营 小李',
    note: '客户撤回投诉',
  }),
};

export type ExampleName = keyof typeof validExamples;

/** The topic kind each example belongs on. */
export function kindOfExample(name: ExampleName): 'scan' | 'exception' | 'reply' | 'action' {
  if (name.startsWith('reply')) return 'reply';
  if (name === 'action') return 'action';
  if (['registration', 'phoneFallback', 'codChange', 'paymentChange', 'complaint'].includes(name)) return 'exception';
  return 'scan';
}

function common(eventId: string, siteCode: string, siteType: string) {
  return { eventId, schemaVersion: 1, waybillNo: WAYBILL, occurredAt: '2026-11-23T12:00:00+08:00', siteCode, siteType };
}

function scan(scanType: string, extra: Record<string, unknown>) {
  return {
    ...common(`e-${scanType.toLowerCase()}`, 'B0201', 'BRANCH'),
    scanType,
    ...extra,
  };
}
