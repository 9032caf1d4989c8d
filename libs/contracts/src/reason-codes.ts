/**
 * Problem classes and reason codes of rules.md §2: the one table both the parser (which rejects unknown codes)
 * and the domain engine (which derives a case's class from its reason) read.
 */

export const CASE_CLASSES = [
  'FAILED_DELIVERY',
  'WRONG_ROUTING',
  'DAMAGE',
  'COD_CHANGE',
  'PAYMENT_CHANGE',
  'LOSS',
  'COMPLAINT',
] as const;
export type CaseClass = (typeof CASE_CLASSES)[number];

/** rules.md §2: each reason code belongs to exactly one class. */
export const REASON_CODES_BY_CLASS = {
  FAILED_DELIVERY: [
    'ADDRESS_UNCLEAR',
    'NOBODY_HOME',
    'REFUSED',
    'NO_ANSWER',
    'PHONE_UNREACHABLE',
    'WRONG_PHONE',
    'RECIPIENT_INFO_MISMATCH',
    'CANNOT_PAY',
    'CUSTOMER_OFF_DUTY',
    'POWER_CUT',
    'INSPECTION_TOO_LONG',
  ],
  WRONG_ROUTING: [
    'MISSENT',
    'MISSORTED',
    'WRONG_HEADER',
    'NO_SERVICE_POINT',
    'OUT_OF_AREA',
    'HELD_AT_HUB',
    'SWAPPED',
    'LABEL_DETACHED',
  ],
  DAMAGE: ['DAMAGED', 'CONTAMINATED'],
  COD_CHANGE: ['COD_CANCELLED', 'COD_AMOUNT_CHANGED', 'CASH_TO_CHEQUE', 'CHEQUE_TO_CASH'],
  PAYMENT_CHANGE: [
    'FREIGHT_COLLECT_TO_PREPAID',
    'PREPAID_TO_FREIGHT_COLLECT',
    'FREIGHT_AMOUNT_CHANGED',
    'WEIGHT_MISMATCH',
    'RETURN_RECEIPT_CHANGE',
  ],
  LOSS: ['LOST', 'SIGNED_NOT_RECEIVED'],
  COMPLAINT: ['DELAY', 'SERVICE_ATTITUDE', 'CHASE', 'TRACE'],
} as const satisfies Record<CaseClass, readonly string[]>;

export type ReasonCode = (typeof REASON_CODES_BY_CLASS)[CaseClass][number];

export const REASON_CODES: readonly ReasonCode[] = CASE_CLASSES.flatMap((caseClass) => REASON_CODES_BY_CLASS[caseClass]);

/** Reason code → its class (rules.md §2). */
export const REASON_CLASS: Readonly<Record<ReasonCode, CaseClass>> = Object.freeze(
  Object.fromEntries(
    CASE_CLASSES.flatMap((caseClass) => REASON_CODES_BY_CLASS[caseClass].map((code) => [code, caseClass])),
  ) as Record<ReasonCode, CaseClass>,
);

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.hasOwn(REASON_CLASS, value);
}

/** The class of a reason code; throws on an unknown code (parsed input never carries one). */
export function classOfReason(code: ReasonCode | string): CaseClass {
  if (!isReasonCode(code)) {
    throw new RangeError(`unknown reason code "${code}"`);
  }
  return REASON_CLASS[code];
}

/** Failed-delivery reasons: the only ones a DELIVERY_FAILED scan may carry. */
export const FAILED_DELIVERY_REASONS: readonly ReasonCode[] = REASON_CODES_BY_CLASS.FAILED_DELIVERY;
