import { DateTime } from 'luxon';

const ZONE = 'Asia/Shanghai';
let serial = 0;

/** ISO time with the +08:00 offset, `daysAgo` local days back at HH:mm. */
export function localTime(daysAgo: number, hhmm: string): string {
  const [hour, minute] = hhmm.split(':').map(Number);
  return DateTime.now().setZone(ZONE).minus({ days: daysAgo }).set({ hour, minute, second: 0, millisecond: 0 }).toISO({ suppressMilliseconds: true })!;
}

export function waybillNo(prefix = 'WB'): string {
  return `${prefix}${Date.now().toString(36).toUpperCase()}${(serial++).toString().padStart(4, '0')}`.slice(0, 20);
}

const eventId = (label: string) => `${label}-${Date.now().toString(36)}-${serial++}`;

export function pickup(waybill: string, occurredAt: string, overrides: Record<string, unknown> = {}) {
  return {
    eventId: eventId('pickup'),
    schemaVersion: 1,
    waybillNo: waybill,
    occurredAt,
    siteCode: 'SHB002',
    siteType: 'BRANCH',
    scanType: 'PICKUP',
    originBranch: 'SHB002',
    destinationBranch: 'SHB001',
    pieces: 1,
    weightKg: 1.2,
    recipient: { name: '王小明', mobile: '13812345678', address: '上海市浦东新区世纪大道100号', gender: 'M' },
    sender: { name: '李华', mobile: '13900001111', address: '上海市闵行区' },
    freightPayer: 'SENDER',
    ...overrides,
  };
}

export function scan(waybill: string, scanType: string, occurredAt: string, siteCode: string, extra: Record<string, unknown> = {}) {
  return {
    eventId: eventId(scanType.toLowerCase()),
    schemaVersion: 1,
    waybillNo: waybill,
    occurredAt,
    siteCode,
    siteType: siteCode.includes('H0') ? 'HUB' : 'BRANCH',
    scanType,
    ...extra,
  };
}

export function registration(waybill: string, reasonCode: string, occurredAt: string, siteCode: string, extra: Record<string, unknown> = {}) {
  return {
    eventId: eventId('reg'),
    schemaVersion: 1,
    waybillNo: waybill,
    occurredAt,
    siteCode,
    siteType: siteCode.includes('H0') ? 'HUB' : 'BRANCH',
    reasonCode,
    channel: 'ONLINE',
    ...extra,
  };
}

export const message = (event: { waybillNo: string }) => ({ key: event.waybillNo, value: JSON.stringify(event) });
