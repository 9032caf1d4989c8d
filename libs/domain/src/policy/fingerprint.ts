import { createHash } from 'node:crypto';
import type { Policy } from './schema.js';

/** JSON with object keys sorted at every level, so equal policies serialise identically whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable identity for a loaded policy: sha256 (hex) of its canonical JSON, defaults included, so a file that
 * spells out a default and one that omits it get the same fingerprint. Array order counts (it is meaningful
 * for departures and escalation steps).
 */
export function policyFingerprint(policy: Policy): string {
  return createHash('sha256').update(canonicalJson(policy)).digest('hex');
}
