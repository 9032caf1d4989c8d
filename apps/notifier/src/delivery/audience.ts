/**
 * Target roles that are people outside the network (rules §6): customer-facing messages carry the least data
 * needed, are checked for personal data before they go, and respect the customer quiet hours.
 */
const EXTERNAL_ROLES = new Set(['RECIPIENT', 'CUSTOMER', 'SENDER']);

export function isExternalAudience(targetRole: string): boolean {
  return EXTERNAL_ROLES.has(targetRole);
}
