/**
 * Input events as branch, hub and staff systems put them on the wire (events.md): the producer's view of the
 * contract. The parsed form (`InputEvent` of `#contracts`) adds a `kind` and converts money; the simulator
 * must send exactly what a real site sends, so it builds these shapes and lets the tests run them through
 * the shared parser.
 */

export type InputRole = 'scan' | 'exception' | 'reply' | 'action';
export type WireSiteType = 'HUB' | 'BRANCH' | 'HQ';

export interface CommonFields {
  eventId: string;
  schemaVersion: 1;
  waybillNo: string;
  occurredAt: string;
  siteCode: string;
  siteType: WireSiteType;
  operatorId?: string;
}

export interface Person {
  name: string;
  mobile?: string;
  address: string;
  gender?: 'M' | 'F';
}

export interface PickupFields {
  originBranch: string;
  destinationBranch: string;
  pieces: number;
  weightKg: number;
  recipient: Person;
  sender: { name: string; mobile?: string; address?: string };
  cod?: { amount: number; method: 'CASH' | 'CHEQUE' };
  freightPayer: 'SENDER' | 'RECIPIENT';
  returnReceiptNo?: string;
  customerClass?: 'VIP' | 'CORE' | 'POTENTIAL' | 'REGULAR';
}

export type ScanType =
  | 'PICKUP'
  | 'HUB_ARRIVAL'
  | 'HUB_DEPARTURE'
  | 'HOLD'
  | 'BRANCH_ARRIVAL'
  | 'OUT_FOR_DELIVERY'
  | 'DELIVERY_FAILED'
  | 'SIGNED'
  | 'RETURN_DISPATCHED'
  | 'RETURN_SIGNED'
  | 'TRANSFERRED';

export interface ScanEvent extends CommonFields, Partial<PickupFields> {
  scanType: ScanType;
  nextSiteCode?: string;
  reasonCode?: string;
  courierId?: string;
  courierPhone?: string;
  attempt?: number;
  smsSent?: boolean;
  signer?: string;
  carrier?: string;
  carrierWaybillNo?: string;
}

export interface Evidence {
  kind: 'PHOTO' | 'LETTER' | 'SMS_LOG' | 'OTHER';
  uri: string;
  sha256: string;
}

export interface ExceptionEvent extends CommonFields {
  reasonCode: string;
  observedAt?: string;
  description?: string;
  channel?: 'ONLINE' | 'PHONE_FALLBACK';
  phoneRecord?: { contactName: string; phone: string; calledAt: string };
  notifyBranch?: string;
  evidence?: Evidence[];
  codChange?: {
    newAmount?: number;
    newMethod?: 'CASH' | 'CHEQUE';
    letter?: { signedBy: string; stamped: boolean; verifiedWithSenderBy: string; evidenceSha256: string };
  };
  paymentChange?: {
    newFreightPayer?: 'SENDER' | 'RECIPIENT';
    newFreightAmount?: number;
    actualWeightKg?: number;
    authorisedBy?: string;
  };
  complaint?: { customerName: string; customerContact: string; channel: 'PHONE' | 'ONLINE' | 'EMAIL' | 'OTHER' };
}

export type CaseRef = { caseNo: string } | { waybillNo: string; class: string };

export type Instruction =
  | 'DELIVER'
  | 'REDELIVER_NEW_ADDRESS'
  | 'RETURN'
  | 'SELF_PICKUP'
  | 'TRANSFER_OTHER_CARRIER'
  | 'APPLY_COD_CHANGE'
  | 'APPLY_PAYMENT_CHANGE'
  | 'CANCEL';

export interface ReplyEvent extends CommonFields {
  caseRef: CaseRef;
  instruction: Instruction;
  newAddress?: string;
  repliedBy: string;
}

export type CaseAction = 'COMPLAINT_CONTACTED' | 'COMPLAINT_RESPONDED' | 'COMPLAINT_ANSWERED' | 'RESOLVE';

export interface ActionEvent extends CommonFields {
  caseRef: CaseRef;
  action: CaseAction;
  actor: string;
  note?: string;
}

export type WireEvent = ScanEvent | ExceptionEvent | ReplyEvent | ActionEvent;
