import type { Policy, SitePolicy, SmsPlaceholder } from './schema.js';

/** Pure look-ups over a loaded policy, so that rules read settings one way everywhere. */

export function siteOf(policy: Policy, siteCode: string): SitePolicy | undefined {
  return Object.hasOwn(policy.sites, siteCode) ? policy.sites[siteCode] : undefined;
}

/** D3: transit minutes from a site to a branch, or null when the route table has no entry (arrivalBasis ACTUAL). */
export function transitMinutes(policy: Policy, from: string, to: string): number | null {
  return policy.routes.find((route) => route.from === from && route.to === to)?.transitMinutes ?? null;
}

/** §2.1: hubs allowed on the way to `branch`, or null when none are listed (hub arrivals then never open MISSENT). */
export function allowedHubsFor(policy: Policy, branch: string): readonly string[] | null {
  return Object.hasOwn(policy.hubRoutes, branch) ? policy.hubRoutes[branch] : null;
}

export interface ResolvedSmsTemplate {
  /** The brand actually used: the requested one when configured, else `sms.defaultBrand`. */
  brand: string;
  template: string;
  courierHotline: string | null;
}

/** §6: the SMS template for a brand and failed-delivery reason, falling back to the brand's default template. */
export function smsTemplateFor(policy: Policy, brand: string | null | undefined, reasonCode: string): ResolvedSmsTemplate {
  const brandName = brand && Object.hasOwn(policy.sms.brands, brand) ? brand : policy.sms.defaultBrand;
  const settings = policy.sms.brands[brandName];
  const byReason = settings.templates.byReason;
  const template = byReason && Object.hasOwn(byReason, reasonCode) ? byReason[reasonCode] : settings.templates.default;
  return { brand: brandName, template, courierHotline: settings.courierHotline ?? null };
}

/** Fills `{placeholder}`s; a placeholder without a value renders empty (e.g. no courier phone known). */
export function renderSmsTemplate(template: string, values: Partial<Record<SmsPlaceholder, string | null>>): string {
  return template.replace(/\{([^{}]*)\}/g, (_placeholder, name: string) => values[name as SmsPlaceholder] ?? '');
}
