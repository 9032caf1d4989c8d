import { createHash, randomBytes } from 'node:crypto';

/** `cps_` + 32 random bytes (base64url): 256 bits, recognisable in a leaked-secret scan by its prefix. */
const TOKEN_PREFIX = 'cps_';
const TOKEN_PATTERN = /^cps_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Whether a string has the shape of a token this API issues (checked before any database look-up). */
export function looksLikeToken(candidate: string): boolean {
  return TOKEN_PATTERN.test(candidate);
}

/**
 * What is stored for a token. A fast digest is the right tool here: tokens are uniformly random 256-bit values,
 * so unlike passwords there is no dictionary to try, and a per-request look-up must stay cheap.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
