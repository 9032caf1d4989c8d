import { z } from 'zod';
import {
  caseNoSchema,
  eventIdSchema,
  MAX_SHORT_TEXT,
  MAX_TEXT,
  oneOf,
  positiveIntSchema,
  reasonCodeSchema,
  sha256Schema,
  siteCodeSchema,
  text,
  eventTimeSchema,
  waybillNoSchema,
  yuanSchema,
  yuanToFen,
} from './primitives.js';
import { CASE_CLASSES, REASON_CLASS, type CaseClass } from './reason-codes.js';

/*
 * Input events of events.md, as the engine receives them once parsed: every field of the wire format (times kept
 * as sent, with their offset), plus
 *   - `kind`: which input topic the message came from (set by the parser, never trusted from the payload);
 *   - money in fen next to the yuan amount sent (`cod.amountFen`, `codChange.newAmountFen`, …).
 * Objects are not strict: events.md allows producers to add optional fields, which are dropped here so that the
 * engine's state only ever holds fields it knows. `schemaVersion` is the literal 1; a v2 becomes a second member
 * of a discriminated union on it.
 */

const schemaVersion = z.literal(1, {
  error: (issue) =>
    issue.input === undefined ? 'required' : `unsupported schemaVersion ${JSON.stringify(issue.input)} (this consumer reads 1)`,
});

const common = {
  eventId: eventIdSchema,
  schemaVersion,
  waybillNo: waybillNoSchema,
  occurredAt: eventTimeSchema,
  siteCode: siteCodeSchema,
  operatorId: text(64).optional(),
};

const siteSchema = oneOf(['HUB', 'BRANCH']);
const siteOrHq = oneOf(['HUB', 'BRANCH', 'HQ']);

// ---------------------------------------------------------------------------------------------------- scans

const scanCommon = { ...common, kind: z.literal('scan'), siteType: siteSchema };

const personName = text(100);
const address = text(500);
/** Kept as sent even when it is not a valid mobile number: the engine judges validity (rule D10). */
const mobile = z.string().max(32, 'must be at most 32 characters').nullish();

const pickupScan = z.object({
  ...scanCommon,
  scanType: z.literal('PICKUP'),
  originBranch: siteCodeSchema,
  destinationBranch: siteCodeSchema,
  pieces: positiveIntSchema(9999),
  weightKg: z
    .number({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a number (kg)') })
    .positive('must be more than 0')
    .max(100_000, 'must be at most 100000 kg'),
  recipient: z.object({
    name: personName,
    mobile,
    address,
    gender: oneOf(['M', 'F']).nullish(),
  }),
  sender: z.object({ name: personName, mobile, address: address.nullish() }),
  cod: z
    .object({ amount: yuanSchema, method: oneOf(['CASH', 'CHEQUE']) })
    .transform((cod) => ({ ...cod, amountFen: yuanToFen(cod.amount) }))
    .optional(),
  freightPayer: oneOf(['SENDER', 'RECIPIENT']),
  returnReceiptNo: text(64).optional(),
  customerClass: oneOf(['VIP', 'CORE', 'POTENTIAL', 'REGULAR']).optional(),
});

const hubArrivalScan = z.object({ ...scanCommon, scanType: z.literal('HUB_ARRIVAL') });
const hubDepartureScan = z.object({ ...scanCommon, scanType: z.literal('HUB_DEPARTURE'), nextSiteCode: siteCodeSchema });
const holdScan = z.object({ ...scanCommon, scanType: z.literal('HOLD'), reasonCode: reasonCodeSchema.optional() });
const branchArrivalScan = z.object({ ...scanCommon, scanType: z.literal('BRANCH_ARRIVAL') });
const outForDeliveryScan = z.object({
  ...scanCommon,
  scanType: z.literal('OUT_FOR_DELIVERY'),
  courierId: text(64),
  courierPhone: z.string().max(32, 'must be at most 32 characters').optional(),
});
const deliveryFailedScan = z.object({
  ...scanCommon,
  scanType: z.literal('DELIVERY_FAILED'),
  reasonCode: reasonCodeSchema,
  attempt: positiveIntSchema(99),
  smsSent: z.boolean({ error: 'must be true or false' }).optional(),
});
const signedScan = z.object({ ...scanCommon, scanType: z.literal('SIGNED'), signer: text(100), carrier: text(64).optional() });
const returnDispatchedScan = z.object({ ...scanCommon, scanType: z.literal('RETURN_DISPATCHED') });
const returnSignedScan = z.object({ ...scanCommon, scanType: z.literal('RETURN_SIGNED') });
const transferredScan = z.object({
  ...scanCommon,
  scanType: z.literal('TRANSFERRED'),
  carrier: text(64),
  carrierWaybillNo: text(64),
});

export const SCAN_TYPES = [
  'PICKUP',
  'HUB_ARRIVAL',
  'HUB_DEPARTURE',
  'HOLD',
  'BRANCH_ARRIVAL',
  'OUT_FOR_DELIVERY',
  'DELIVERY_FAILED',
  'SIGNED',
  'RETURN_DISPATCHED',
  'RETURN_SIGNED',
  'TRANSFERRED',
] as const;
export type ScanType = (typeof SCAN_TYPES)[number];

/** Scans that only a hub, or only a branch, can make: a mismatch means a producer bug, not a problem shipment. */
const SCAN_SITE_TYPE: Partial<Record<ScanType, 'HUB' | 'BRANCH'>> = {
  PICKUP: 'BRANCH',
  HUB_ARRIVAL: 'HUB',
  HUB_DEPARTURE: 'HUB',
  BRANCH_ARRIVAL: 'BRANCH',
  OUT_FOR_DELIVERY: 'BRANCH',
  DELIVERY_FAILED: 'BRANCH',
};

export const scanEventSchema = z
  .discriminatedUnion('scanType', [
    pickupScan,
    hubArrivalScan,
    hubDepartureScan,
    holdScan,
    branchArrivalScan,
    outForDeliveryScan,
    deliveryFailedScan,
    signedScan,
    returnDispatchedScan,
    returnSignedScan,
    transferredScan,
  ])
  .superRefine((scan, ctx) => {
    const required = SCAN_SITE_TYPE[scan.scanType];
    if (required && scan.siteType !== required) {
      ctx.addIssue({ code: 'custom', path: ['siteType'], message: `a ${scan.scanType} scan must come from a ${required}` });
    }
    if (scan.scanType === 'DELIVERY_FAILED' && REASON_CLASS[scan.reasonCode] !== 'FAILED_DELIVERY') {
      ctx.addIssue({
        code: 'custom',
        path: ['scanType'],
        message: `DELIVERY_FAILED needs reasonCode of class FAILED_DELIVERY (got ${scan.reasonCode}, class ${REASON_CLASS[scan.reasonCode]})`,
      });
    }
  });

// ------------------------------------------------------------------------------------------- registrations

const evidenceSchema = z.object({
  kind: oneOf(['PHOTO', 'LETTER', 'SMS_LOG', 'OTHER']),
  uri: text(1000),
  sha256: sha256Schema,
});

/** Letter fields are optional here on purpose: an incomplete letter is a fact the engine records (the change stays REQUESTED), not bad input. */
const letterSchema = z.object({
  signedBy: text(100).optional(),
  stamped: z.boolean({ error: 'must be true or false' }).optional(),
  verifiedWithSenderBy: text(100).optional(),
  evidenceSha256: sha256Schema.optional(),
});

const codChangeSchema = z
  .object({
    newAmount: yuanSchema.optional(),
    newMethod: oneOf(['CASH', 'CHEQUE']).optional(),
    letter: letterSchema.optional(),
  })
  .transform((change) => ({
    ...change,
    newAmountFen: change.newAmount === undefined ? undefined : yuanToFen(change.newAmount),
  }));

const paymentChangeSchema = z
  .object({
    newFreightPayer: oneOf(['SENDER', 'RECIPIENT']).optional(),
    newFreightAmount: yuanSchema.optional(),
    actualWeightKg: z.number({ error: 'must be a number (kg)' }).positive('must be more than 0').max(100_000).optional(),
    authorisedBy: text(100).optional(),
  })
  .transform((change) => ({
    ...change,
    newFreightAmountFen: change.newFreightAmount === undefined ? undefined : yuanToFen(change.newFreightAmount),
  }));

const phoneRecordSchema = z.object({
  contactName: text(100),
  phone: text(32),
  calledAt: eventTimeSchema,
});

/** Class-specific payloads and the class their reason code must belong to. */
const CLASS_PAYLOADS = [
  ['codChange', 'COD_CHANGE'],
  ['paymentChange', 'PAYMENT_CHANGE'],
  ['complaint', 'COMPLAINT'],
] as const;

export const exceptionEventSchema = z
  .object({
    ...common,
    kind: z.literal('exception'),
    siteType: siteSchema,
    reasonCode: reasonCodeSchema,
    observedAt: eventTimeSchema.optional(),
    description: z.string({ error: 'must be a string' }).max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`).optional(),
    channel: oneOf(['ONLINE', 'PHONE_FALLBACK']).default('ONLINE'),
    phoneRecord: phoneRecordSchema.optional(),
    notifyBranch: siteCodeSchema.optional(),
    evidence: z.array(evidenceSchema).max(20, 'must list at most 20 items').optional(),
    codChange: codChangeSchema.optional(),
    paymentChange: paymentChangeSchema.optional(),
    complaint: z
      .object({
        customerName: personName,
        customerContact: text(100),
        channel: oneOf(['PHONE', 'ONLINE', 'EMAIL', 'OTHER']),
      })
      .optional(),
  })
  .superRefine((registration, ctx) => {
    const caseClass = REASON_CLASS[registration.reasonCode];
    for (const [field, requiredClass] of CLASS_PAYLOADS) {
      if (registration[field] !== undefined && caseClass !== requiredClass) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `only allowed for a reasonCode of class ${requiredClass} (reasonCode ${registration.reasonCode} is ${caseClass})`,
        });
      }
    }
    if (caseClass === 'COMPLAINT' && registration.complaint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['complaint'], message: 'required for a reasonCode of class COMPLAINT' });
    }
    if (registration.channel === 'PHONE_FALLBACK') {
      if (registration.phoneRecord === undefined) {
        ctx.addIssue({ code: 'custom', path: ['phoneRecord'], message: 'required when channel = PHONE_FALLBACK' });
      } else if (Date.parse(registration.phoneRecord.calledAt) > Date.parse(registration.occurredAt)) {
        // D8: the call is recorded afterwards; a call "made" after it was entered would let a registration backdate nothing and only confuse D4.
        ctx.addIssue({ code: 'custom', path: ['phoneRecord', 'calledAt'], message: 'the call cannot be after occurredAt (when it was recorded)' });
      }
    }
  });

// ---------------------------------------------------------------------------------------- replies, actions

const caseRefSchema = z.union([
  z.strictObject({ caseNo: caseNoSchema }),
  z.strictObject({ waybillNo: waybillNoSchema, class: z.enum(CASE_CLASSES) }),
]);
export type CaseRef = z.output<typeof caseRefSchema>;

function checkCaseRefWaybill(event: { caseRef: CaseRef; waybillNo: string }, ctx: z.RefinementCtx): void {
  if ('waybillNo' in event.caseRef && event.caseRef.waybillNo !== event.waybillNo) {
    ctx.addIssue({
      code: 'custom',
      path: ['caseRef', 'waybillNo'],
      message: `"${event.caseRef.waybillNo}" differs from waybillNo "${event.waybillNo}"`,
    });
  }
}

export const REPLY_INSTRUCTIONS = [
  'DELIVER',
  'REDELIVER_NEW_ADDRESS',
  'RETURN',
  'SELF_PICKUP',
  'TRANSFER_OTHER_CARRIER',
  'APPLY_COD_CHANGE',
  'APPLY_PAYMENT_CHANGE',
  'CANCEL',
] as const;
export type ReplyInstruction = (typeof REPLY_INSTRUCTIONS)[number];

export const replyEventSchema = z
  .object({
    ...common,
    kind: z.literal('reply'),
    siteType: siteOrHq,
    caseRef: caseRefSchema,
    instruction: oneOf(REPLY_INSTRUCTIONS),
    newAddress: text(500).optional(),
    repliedBy: text(100),
  })
  .superRefine((reply, ctx) => {
    checkCaseRefWaybill(reply, ctx);
    if (reply.instruction === 'REDELIVER_NEW_ADDRESS' && reply.newAddress === undefined) {
      ctx.addIssue({ code: 'custom', path: ['newAddress'], message: 'required when instruction = REDELIVER_NEW_ADDRESS' });
    }
  });

export const CASE_ACTIONS = ['COMPLAINT_CONTACTED', 'COMPLAINT_RESPONDED', 'COMPLAINT_ANSWERED', 'RESOLVE'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

export const actionEventSchema = z
  .object({
    ...common,
    kind: z.literal('action'),
    siteType: siteOrHq,
    caseRef: caseRefSchema,
    action: oneOf(CASE_ACTIONS),
    actor: text(100),
    note: z.string({ error: 'must be a string' }).max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`).optional(),
  })
  .superRefine((action, ctx) => {
    checkCaseRefWaybill(action, ctx);
    if (action.action === 'RESOLVE' && !action.note?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'required for RESOLVE (the reason)' });
    }
  });

export const inputEventSchemas = {
  scan: scanEventSchema,
  exception: exceptionEventSchema,
  reply: replyEventSchema,
  action: actionEventSchema,
} as const;

export type ScanEvent = z.output<typeof scanEventSchema>;
export type ScanOf<T extends ScanType> = Extract<ScanEvent, { scanType: T }>;
export type PickupScan = ScanOf<'PICKUP'>;
export type ExceptionEvent = z.output<typeof exceptionEventSchema>;
export type ReplyEvent = z.output<typeof replyEventSchema>;
export type ActionEvent = z.output<typeof actionEventSchema>;
/** One parsed input event; `kind` tells which topic it came from. */
export type InputEvent = ScanEvent | ExceptionEvent | ReplyEvent | ActionEvent;

/** `Omit` that keeps a union discriminated (the built-in one collapses it). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a producer sends (before parsing): no `kind`, money in yuan only. */
export type WireScanEvent = OmitEach<z.input<typeof scanEventSchema>, 'kind'>;
export type WireExceptionEvent = Omit<z.input<typeof exceptionEventSchema>, 'kind'>;
export type WireReplyEvent = Omit<z.input<typeof replyEventSchema>, 'kind'>;
export type WireActionEvent = Omit<z.input<typeof actionEventSchema>, 'kind'>;

export { MAX_SHORT_TEXT, MAX_TEXT };
export type { CaseClass };
