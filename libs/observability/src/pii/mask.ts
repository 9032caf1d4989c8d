// Personal-data masking for logs, metrics and alerts (rules.md §6: "phone, address, name beyond the surname is
// masked"). Two layers:
//  - by field: a value under a key that names personal data (mobile, phone, name, address, recipient, sender,
//    customerContact, e-mail ...) is masked according to what the key says it holds, whatever its format;
//  - by content: every other string is scanned for Chinese mobile numbers and e-mail addresses, which is what
//    leaks through free text (descriptions, notes, error messages, URLs).
// Everything returns a masked copy; inputs are never mutated (a log call must not alter the caller's data).

/** What a field holds, as far as masking is concerned. */
export type PiiKind = 'phone' | 'name' | 'address' | 'email' | 'contact' | 'person';

const MASK = '****';

// A Chinese mobile number: 1[3-9]x xxxx xxxx, optionally with +86 / 0086 / 86 and '-' or ' ' separators, not part
// of a longer alphanumeric token (so waybill numbers like SF13812345678901 and long digit runs are left alone).
const MOBILE_PATTERN = /(?<![A-Za-z0-9])((?:\+|00)?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![A-Za-z0-9])/g;
const EMAIL_PATTERN = /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;

// Administrative divisions that may stay visible in a masked address (province / city / district: useful to ops,
// not enough to find a person). Up to three units, each 1-7 characters ending in a division suffix (易县, 上海市,
// 浦东新区, 新疆维吾尔自治区).
const ADDRESS_DIVISIONS = /^(?:[^\s\d省市区县旗]{1,7}?(?:省|自治区|特别行政区|市|自治州|地区|盟|区|县|旗)){1,3}/u;

// Keys whose values are identifiers of shipments, cases and events, not personal data. They are exempt from the
// content scan: an 11-digit numeric waybill number must stay searchable in the logs.
const IDENTIFIER_KEYS = new Set(['waybillno', 'carrierwaybillno', 'returnreceiptno', 'caseno', 'eventid', 'reqid', 'requestid', 'traceid']);

// Keys ending in "address" that hold network addresses, not postal ones.
const NETWORK_ADDRESS_KEYS = new Set(['remoteaddress', 'localaddress', 'ipaddress', 'serveraddress', 'macaddress']);

const PERSON_NAME_KEYS = new Set([
  'name',
  'fullname',
  'firstname',
  'lastname',
  'givenname',
  'contactname',
  'customername',
  'recipientname',
  'sendername',
  'consigneename',
  'consignorname',
  'signer',
  'signername',
]);

const PERSON_KEYS = new Set(['recipient', 'sender', 'consignee', 'consignor', 'customer']);

const MAX_DEPTH = 12;

/**
 * The kind of personal data a field of this name holds, or undefined when the name says nothing about it.
 * Matching is case-insensitive and covers compound names (`courierPhone`, `recipientMobile`, `newAddress`,
 * `contactName`, `customerContact`).
 */
export function piiKindOfField(key: string): PiiKind | undefined {
  const k = key.toLowerCase();
  if (k.includes('email') || k === 'mail') return 'email';
  if (k.includes('mobile') || k.includes('phone') || k === 'tel' || k.endsWith('telephone')) return 'phone';
  if (k.endsWith('address')) return NETWORK_ADDRESS_KEYS.has(k) ? undefined : 'address';
  if (k.endsWith('contact')) return 'contact';
  if (PERSON_NAME_KEYS.has(k)) return 'name';
  if (PERSON_KEYS.has(k)) return 'person';
  return undefined;
}

/** True when a field (or metric label) of this name would carry personal data. */
export function isPiiFieldName(key: string): boolean {
  return piiKindOfField(key) !== undefined;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function maskMobileMatch(_match: string, prefix: string | undefined, head: string, _middle: string, tail: string): string {
  return `${prefix ?? ''}${head}****${tail}`;
}

/**
 * Masks a phone number: Chinese mobiles keep their first 3 and last 4 digits (`13812345678` → `138****5678`,
 * a +86 prefix is kept); any other number keeps only its last 4 digits, and one of 4 digits or fewer is masked
 * entirely.
 */
export function maskPhone(value: unknown): string {
  const text = asText(value);
  MOBILE_PATTERN.lastIndex = 0;
  if (MOBILE_PATTERN.test(text)) {
    MOBILE_PATTERN.lastIndex = 0;
    return text.replace(MOBILE_PATTERN, maskMobileMatch);
  }
  const digitCount = (text.match(/\d/g) ?? []).length;
  let remainingToMask = digitCount > 4 ? digitCount - 4 : digitCount;
  return text.replace(/\d/g, (digit) => {
    if (remainingToMask === 0) return digit;
    remainingToMask -= 1;
    return '*';
  });
}

/** Keeps only the first character of a name: `张三` → `张*`, `欧阳娜娜` → `欧*`, `John Smith` → `J*`. */
export function maskName(value: unknown): string {
  const text = asText(value).trim();
  if (text === '') return '';
  const [first] = Array.from(text);
  return `${first}*`;
}

/**
 * Keeps the leading administrative divisions (province, city, district) and masks the rest:
 * `上海市浦东新区张江路100号` → `上海市浦东新区****`. An address without recognisable divisions is masked entirely.
 */
export function maskAddress(value: unknown): string {
  const text = asText(value).trim();
  if (text === '') return '';
  const divisions = ADDRESS_DIVISIONS.exec(text)?.[0] ?? '';
  return `${divisions}${MASK}`;
}

/** Masks the local part of every e-mail address in the text, keeping its first character: `zhang.san@x.cn` → `z***@x.cn`. */
export function maskEmail(value: unknown): string {
  return asText(value).replace(EMAIL_PATTERN, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

/** Masks the mobile numbers and e-mail addresses that appear anywhere in a free text. */
export function maskText(text: string): string {
  // Cheap pre-check: most log messages contain neither, and this runs on every log call.
  const mayHaveMobile = /1[3-9]\d/.test(text);
  const mayHaveEmail = text.includes('@');
  let masked = text;
  if (mayHaveMobile) masked = masked.replace(MOBILE_PATTERN, maskMobileMatch);
  if (mayHaveEmail) masked = maskEmail(masked);
  return masked;
}

/** A contact of unknown type (phone, e-mail, or a handle): masked as whichever it looks like. */
function maskContact(value: unknown): string {
  const text = asText(value);
  if (text.includes('@')) return maskEmail(text);
  if ((text.match(/\d/g) ?? []).length >= 7) return maskPhone(text);
  return maskName(text);
}

function maskPrimitiveOfKind(value: string | number | bigint, kind: PiiKind): string {
  switch (kind) {
    case 'phone':
      return maskPhone(value);
    case 'name':
    case 'person':
      return maskName(value);
    case 'address':
      return maskAddress(value);
    case 'email':
      return maskEmail(value);
    case 'contact':
      return maskContact(value);
  }
}

// Plain = created by an object literal, JSON.parse or Object.create(null), in any realm: Node creates some objects
// (IncomingMessage.headers) in its own realm, whose Object.prototype is not this module's under a vm (jest).
function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return prototype === null || (Object.getPrototypeOf(prototype) === null && prototype.constructor?.name === 'Object');
}

function maskValue(value: unknown, kind: PiiKind | undefined, exempt: boolean, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    if (kind) return maskPrimitiveOfKind(value, kind);
    return exempt ? value : maskText(value);
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return kind ? maskPrimitiveOfKind(value, kind) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  // Only plain data is traversed. Class instances (Date, Buffer, Error, IncomingMessage ...) are left to the
  // logger's serializers, which mask the serialized form (see logging/pino-options.ts).
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      // Elements inherit the field's kind: `mobiles: ['138…', '139…']`.
      return value.map((element) => maskValue(element, kind, exempt, depth + 1, seen));
    }
    // Inside an address or a name object (address: { city, street }, name: { given, family }) every string is part
    // of it. Inside anything else (recipient: { … }, phoneRecord: { contactName, phone, calledAt }) each field is
    // judged by its own name.
    const inherited = kind === 'address' || kind === 'name' ? kind : undefined;
    const masked: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const fieldKind = piiKindOfField(key);
      masked[key] = maskValue(field, fieldKind ?? inherited, IDENTIFIER_KEYS.has(key.toLowerCase()), depth + 1, seen);
    }
    return masked;
  } finally {
    seen.delete(value);
  }
}

/**
 * Masks personal data in any loggable value and returns a masked copy:
 * - a string: mobile numbers and e-mail addresses in it are masked;
 * - plain objects and arrays, at any depth: fields named after personal data are masked by kind (see
 *   {@link piiKindOfField}); other string fields are scanned like free text; identifier fields (waybillNo, caseNo,
 *   eventId ...) are kept;
 * - numbers under a personal-data key become masked strings; other values are returned as they are.
 */
export function maskPii(value: string): string;
export function maskPii(value: unknown): unknown;
export function maskPii(value: unknown): unknown {
  return maskValue(value, undefined, false, 0, new WeakSet());
}
