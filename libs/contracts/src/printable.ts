/** A DLQ reason stays short enough to read; the original message is in the DLQ record anyway. */
export const MAX_REASON_LENGTH = 1000;

/** A UTF-16 surrogate without its other half: not a character, and PostgreSQL's jsonb refuses it. */
export const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const UNPRINTABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A reason as a DLQ reader and PostgreSQL can take it: control characters and unpaired surrogates (JSON.parse quotes
 * the offending input in its message) escaped as `\\uXXXX`, and cut to MAX_REASON_LENGTH characters. A NUL in a
 * text column fails the batch's transaction on every retry, which would stop the partition.
 */
export function printableReason(reason: string): string {
  const escaped = reason.replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped.length <= MAX_REASON_LENGTH) return escaped;
  // Never cut between the two halves of a surrogate pair.
  return `${escaped.slice(0, MAX_REASON_LENGTH - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}

/** A string that PostgreSQL can store as text or inside jsonb: no NUL, no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);
}
