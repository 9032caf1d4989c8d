// The network policy: every *configurable* value of rules.md, validated with its defaults. Pure (no file I/O).
export {
  policySchema,
  REQUIRED_SMS_PLACEHOLDERS,
  SMS_PLACEHOLDERS,
  type EscalationTarget,
  type Policy,
  type PolicyInput,
  type RoutePolicy,
  type SitePolicy,
  type SiteType,
  type SmsPlaceholder,
} from './schema.js';
export { formatIssue, formatPath, loadPolicy, PolicyValidationError, type PolicyIssue } from './load.js';
export { policyFingerprint } from './fingerprint.js';
export { allowedHubsFor, renderSmsTemplate, siteOf, smsTemplateFor, transitMinutes, type ResolvedSmsTemplate } from './lookups.js';
