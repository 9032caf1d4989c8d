import { normaliseMobile } from '#domain';
import { maskAddress } from '#observability';
import { RejectedContentError, UnroutedError } from '../channels/notification-channel.js';

/** A person the waybill names (its PICKUP scan's recipient or sender). */
export interface PersonOnFile {
  name: string | null;
  mobile: string | null;
  address: string | null;
}

/** Shortest part of a name or an address that counts as a leak on its own (shorter ones occur in ordinary text). */
const MIN_DISTINCTIVE_LENGTH = 2;
const MIN_ADDRESS_DETAIL_LENGTH = 4;

/**
 * An SMS needs a mainland mobile number (rules §6, D10): a missing or invalid one sends nothing, and the
 * notification is recorded as UNROUTED with the reason. Returns the number in its plain 11-digit form.
 */
export function requireMobile(recipient: string | null): string {
  const mobile = normaliseMobile(recipient);
  if (!mobile) throw new UnroutedError(recipient ? 'recipient mobile number is not a valid mainland mobile' : 'recipient has no mobile number');
  return mobile;
}

/**
 * Defence in depth for messages to customers (rules §6: least data needed, never the full name): the engine
 * renders them from templates that only know the surname, but a template or engine defect must not put a full
 * name, a phone number or an address of anyone on the waybill in front of a customer. `allowedSurname` is the
 * surname the engine rendered (vars.surname); the recipient's own number may not be quoted back either.
 * Returns why the text is refused (naming the kind of data, never the data), empty when it may go.
 */
export function personalDataLeaks(text: string, people: readonly PersonOnFile[], options: { allowedSurname?: string | null; recipient?: string | null } = {}): string[] {
  const leaks = new Set<string>();
  const compactDigits = text.replace(/(?<=\d)[\s-]+(?=\d)/g, '');
  const mobiles = [...people.map((p) => p.mobile), options.recipient ?? null]
    .map((raw) => normaliseMobile(raw))
    .filter((m): m is string => m !== null);
  if (mobiles.some((mobile) => compactDigits.includes(mobile))) leaks.add('a mobile number of a person on the waybill');

  for (const person of people) {
    const name = person.name?.replace(/\s+/g, ' ').trim() ?? '';
    if (name.length >= MIN_DISTINCTIVE_LENGTH) {
      const surname = options.allowedSurname?.trim() ?? '';
      if (name !== surname && text.includes(name)) leaks.add('the full name of a person on the waybill');
      const given = givenNameOf(name, surname);
      if (given.length >= MIN_DISTINCTIVE_LENGTH && text.includes(given)) leaks.add('the given name of a person on the waybill');
    }
    const address = person.address?.trim() ?? '';
    if (address.length > 0) {
      // The divisions (province, city, district) may appear in ordinary text; the street and number may not.
      const divisions = maskAddress(address).replace(/\*+$/, '');
      const detail = address.startsWith(divisions) ? address.slice(divisions.length) : address;
      if (text.includes(address) || (detail.length >= MIN_ADDRESS_DETAIL_LENGTH && text.includes(detail))) {
        leaks.add('the address of a person on the waybill');
      }
    }
  }
  return [...leaks];
}

/** The name without the surname the engine used (`欧阳娜娜` less `欧阳`, `John Smith` less `Smith`); '' when unknown. */
function givenNameOf(name: string, surname: string): string {
  if (!surname) return '';
  if (name.startsWith(surname)) return name.slice(surname.length).trim();
  if (name.endsWith(surname)) return name.slice(0, name.length - surname.length).trim();
  return '';
}

/** Throws {@link RejectedContentError} when {@link personalDataLeaks} finds any. */
export function assertNoPersonalData(text: string, people: readonly PersonOnFile[], options: { allowedSurname?: string | null; recipient?: string | null } = {}): void {
  const leaks = personalDataLeaks(text, people, options);
  if (leaks.length > 0) throw new RejectedContentError(`message refused: it contains ${leaks.join(', ')}`);
}
