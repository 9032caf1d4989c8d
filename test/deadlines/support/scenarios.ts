import { DateTime } from 'luxon';
import { localTime, pickup, registration, scan, waybillNo } from '../../support/events.js';
import type { EngineFeed, WireEvent } from './engine-feed.js';

const ZONE = 'Asia/Shanghai';
let serial = 0;

/** An instant as the sites send it: ISO-8601 with the +08:00 offset, whole seconds. */
export function at(ms: number): string {
  return DateTime.fromMillis(Math.floor(ms / 1000) * 1000, { zone: ZONE }).toISO({ suppressMilliseconds: true })!;
}

/** The deadline id the engine gives a rule of a waybill's first case of a class (libs/domain case-identity). */
export function deadlineId(waybill: string, caseClass: string, rule: string, qualifier?: string): string {
  return [waybill, caseClass, '1', rule, ...(qualifier ? [qualifier] : [])].join('-');
}

/**
 * A failed delivery yesterday at SHB001 that nobody registered: its D4 deadline (end of that day, the branch's
 * 21:00 closing time) is already past. Returns the waybill number.
 */
export async function unregisteredFailedDelivery(feed: EngineFeed, label: string): Promise<string> {
  const waybill = waybillNo(label);
  await feed.apply(
    'scan',
    pickup(waybill, localTime(1, '09:00')),
    scan(waybill, 'BRANCH_ARRIVAL', localTime(1, '13:00'), 'SHB001'),
    scan(waybill, 'OUT_FOR_DELIVERY', localTime(1, '14:00'), 'SHB001', { courierId: 'C001', courierPhone: '13700002222' }),
    scan(waybill, 'DELIVERY_FAILED', localTime(1, '15:00'), 'SHB001', { reasonCode: 'NOBODY_HOME', attempt: 1 }),
  );
  return waybill;
}

/** The delivering branch's registration of that failure, stamped yesterday 16:00 (in time for D4). */
export function failureRegistration(waybill: string): WireEvent {
  return registration(waybill, 'NOBODY_HOME', localTime(1, '16:00'), 'SHB001', { notifyBranch: 'SHB002' });
}

/**
 * A customer complaint registered at SHB001 at `registeredAtMs`: it arms C1 (contact within 12 h), C2 (respond
 * within 24 h) and C3 (answer by the end of the 3rd working day). Returns the waybill number.
 */
export async function complaint(feed: EngineFeed, label: string, registeredAtMs: number): Promise<string> {
  const waybill = waybillNo(label);
  await feed.apply('scan', pickup(waybill, at(registeredAtMs - 3_600_000)));
  await feed.apply(
    'exception',
    registration(waybill, 'DELAY', at(registeredAtMs), 'SHB001', {
      complaint: { customerName: '王小明', customerContact: '13812345678', channel: 'PHONE' },
    }),
  );
  return waybill;
}

/** A case action (courier.action.v1) on the waybill's complaint. */
export function complaintAction(waybill: string, action: string, occurredAtMs: number, extra: Record<string, unknown> = {}): WireEvent {
  return {
    eventId: `act-${Date.now().toString(36)}-${serial++}`,
    schemaVersion: 1,
    waybillNo: waybill,
    occurredAt: at(occurredAtMs),
    siteCode: 'SHB001',
    siteType: 'BRANCH',
    caseRef: { waybillNo: waybill, class: 'COMPLAINT' },
    action,
    actor: '客服 小李',
    ...extra,
  };
}
