import type { ReplyInstruction } from '#contracts';

/** What the delivering branch is told to do for each OB instruction (§5). */
const NOTES: Record<ReplyInstruction, string> = {
  DELIVER: 'deliver (D6: signed within 24 h)',
  REDELIVER_NEW_ADDRESS: 'redeliver to the new address (D6: signed within 24 h)',
  RETURN: 'return to sender (D7: dispatch by the next scheduled departure)',
  SELF_PICKUP: 'hold for self-pickup by the recipient',
  TRANSFER_OTHER_CARRIER: 'transfer to another carrier (tracked until signed)',
  APPLY_COD_CHANGE: 'apply the COD change once the confirmation letter is verified',
  APPLY_PAYMENT_CHANGE: 'apply the payment change',
  CANCEL: 'cancel the shipment as instructed',
};

export function handlingNotes(instruction: ReplyInstruction): string {
  return `origin branch instructs: ${NOTES[instruction]}`;
}
