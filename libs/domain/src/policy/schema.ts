import { FAILED_DELIVERY_REASONS, SITE_CODE_PATTERN } from '#contracts';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { isLocalTime, localTimeMinutes } from '../time/local-time.js';

/** Placeholders an SMS template may use (rules.md §6). */
export const SMS_PLACEHOLDERS = ['surname', 'honorific', 'waybillNo', 'brand', 'courierPhone'] as const;
export type SmsPlaceholder = (typeof SMS_PLACEHOLDERS)[number];
/** A template missing any of these is rejected at load: surname with honorific and the tracking number are required. */
export const REQUIRED_SMS_PLACEHOLDERS: readonly SmsPlaceholder[] = ['surname', 'honorific', 'waybillNo'];

const PLACEHOLDER = /\{([^{}]*)\}/g;

const localTime = z.string().refine(isLocalTime, 'must be HH:mm');

const localDate = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value).isValid, 'must be a date YYYY-MM-DD');

const positiveMinutes = z.number().int('must be a whole number of minutes').positive('must be more than 0 minutes');
const nonNegativeMinutes = z.number().int('must be a whole number of minutes').min(0, 'must not be negative');
const code = z.string().min(1, 'must not be empty');
/** Site codes as events carry them (events.md `siteCode`). */
const siteCode = z.string().regex(SITE_CODE_PATTERN, 'must be a site code of 1-32 letters, digits, _ or -');

const smsTemplate = z.string().superRefine((template, ctx) => {
  const used = new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]));
  const missing = REQUIRED_SMS_PLACEHOLDERS.filter((name) => !used.has(name));
  if (missing.length > 0) {
    ctx.addIssue({ code: 'custom', message: 'must contain {surname}, {honorific} and {waybillNo}' });
  }
  for (const name of used) {
    if (!(SMS_PLACEHOLDERS as readonly string[]).includes(name)) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}} (allowed: ${SMS_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})` });
    }
  }
});

const siteSchema = z.strictObject({
  type: z.enum(['HUB', 'BRANCH']),
  name: z.string().optional(),
  /** D4: failed attempts are due by this local time instead of 23:59:59.999. */
  closeTime: localTime.optional(),
  /** D7: scheduled outbound departures, local `HH:mm`, ascending. */
  departures: z
    .array(localTime)
    .optional()
    .superRefine((departures, ctx) => {
      if (!departures || !departures.every(isLocalTime)) return;
      for (let i = 1; i < departures.length; i++) {
        if (localTimeMinutes(departures[i]) <= localTimeMinutes(departures[i - 1])) {
          ctx.addIssue({ code: 'custom', path: [i], message: `must be after ${departures[i - 1]} (ascending, no repeats)` });
        }
      }
    }),
  staff: z
    .strictObject({
      supervisor: z.string().optional(),
      finance: z.string().optional(),
      reconciliation: z.string().optional(),
      cs: z.string().optional(),
      manager: z.string().optional(),
    })
    .optional(),
  webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

const DEFAULT_SMS_TEMPLATE =
  '{surname}{honorific}您好，{brand}快件{waybillNo}今日派送未成功，请您收到信息后联系快递员{courierPhone}。';

export const policySchema = z
  .strictObject({
    version: z.string().min(1, 'must not be empty'),
    /** Local time of the network: every "local" rule (D2, D4, D7, C3, quiet hours, case-number month) uses it. */
    timeZone: z
      .string()
      .default('Asia/Shanghai')
      .superRefine((zone, ctx) => {
        if (!IANAZone.isValidZone(zone)) ctx.addIssue({ code: 'custom', message: `unknown IANA zone "${zone}"` });
      }),
    /** §2.1: no onward movement this long after the latest HUB_ARRIVAL opens HELD_AT_HUB. */
    hubDwellLimitMinutes: positiveMinutes.default(720),
    /** D2: hub registrations are due at the first such local time strictly after the hub arrival. */
    d2CutoffTime: localTime.default('10:00'),
    durations: z
      .strictObject({
        d3: positiveMinutes.default(120),
        d5: positiveMinutes.default(1440),
        d6: positiveMinutes.default(1440),
        d7LaterDay: positiveMinutes.default(1440),
        c1: positiveMinutes.default(720),
        c2: positiveMinutes.default(1440),
        s1: positiveMinutes.default(120),
      })
      .prefault({}),
    c3WorkingDays: z.number().int('must be a whole number of days').positive('must be at least 1').default(3),
    /** Hubs allowed on the way to each delivering branch; a branch without a list never gets MISSENT by hub arrival. */
    hubRoutes: z.record(siteCode, z.array(siteCode)).default({}),
    /** Transit times for the theoretical arrival (D3). */
    routes: z
      .array(z.strictObject({ from: code, to: code, transitMinutes: nonNegativeMinutes }))
      .default([]),
    sites: z.record(siteCode, siteSchema).default({}),
    calendar: z
      .strictObject({
        weekendDays: z
          .array(z.number().int().min(1, 'must be an ISO weekday 1..7').max(7, 'must be an ISO weekday 1..7'))
          .default([6, 7])
          .refine((days) => new Set(days).size === days.length, 'must not repeat a day')
          .refine((days) => new Set(days).size < 7, 'must leave at least one working weekday'),
        holidays: z.array(localDate).default([]),
        extraWorkingDays: z.array(localDate).default([]),
      })
      .prefault({}),
    /** Customer SMS are held from start (inclusive) to end (exclusive), local; start after end spans midnight. */
    quietHours: z.strictObject({ start: localTime.default('21:00'), end: localTime.default('08:00') }).prefault({}),
    sms: z
      .strictObject({
        defaultBrand: code.default('DEFAULT'),
        brands: z
          .record(
            code,
            z.strictObject({
              courierHotline: z.string().optional(),
              templates: z.strictObject({
                default: smsTemplate,
                byReason: z.record(code, smsTemplate).optional(),
              }),
            }),
          )
          .default({ DEFAULT: { templates: { default: DEFAULT_SMS_TEMPLATE } } }),
      })
      .prefault({}),
    /** §7 ladder after an overdue: alert the responsible site, then its supervisor, then HQ. */
    escalation: z
      .strictObject({
        steps: z
          .array(z.strictObject({ afterMinutes: nonNegativeMinutes, target: z.enum(['SITE', 'SUPERVISOR', 'HQ']) }))
          .default([
            { afterMinutes: 0, target: 'SITE' },
            { afterMinutes: 120, target: 'SUPERVISOR' },
            { afterMinutes: 1440, target: 'HQ' },
          ]),
      })
      .prefault({}),
  })
  .superRefine((policy, ctx) => crossCheck(policy, ctx));

export type Policy = z.output<typeof policySchema>;
/** What a policy file may contain: everything with a default may be left out. */
export type PolicyInput = z.input<typeof policySchema>;
export type SitePolicy = Policy['sites'][string];
export type SiteType = SitePolicy['type'];
export type RoutePolicy = Policy['routes'][number];
export type EscalationTarget = Policy['escalation']['steps'][number]['target'];

type Issue = { path: (string | number)[]; message: string };

/** References between sections: checked once every section parsed. */
function crossCheck(policy: Policy, ctx: z.RefinementCtx): void {
  const issues: Issue[] = [];
  const siteType = (siteCode: string) => policy.sites[siteCode]?.type;

  for (const [branch, hubs] of Object.entries(policy.hubRoutes)) {
    if (siteType(branch) !== 'BRANCH') {
      issues.push({ path: ['hubRoutes', branch], message: `"${branch}" is not a branch in sites` });
    }
    hubs.forEach((hub, i) => {
      if (siteType(hub) !== 'HUB') issues.push({ path: ['hubRoutes', branch, i], message: `"${hub}" is not a hub in sites` });
    });
  }

  const seenRoutes = new Set<string>();
  policy.routes.forEach((route, i) => {
    if (!siteType(route.from)) issues.push({ path: ['routes', i, 'from'], message: `"${route.from}" is not a site in sites` });
    if (siteType(route.to) !== 'BRANCH') issues.push({ path: ['routes', i, 'to'], message: `"${route.to}" is not a branch in sites` });
    const pair = `${route.from}\u0000${route.to}`;
    if (seenRoutes.has(pair)) issues.push({ path: ['routes', i], message: `duplicate route ${route.from} -> ${route.to}` });
    seenRoutes.add(pair);
  });

  const holidays = new Set(policy.calendar.holidays);
  policy.calendar.extraWorkingDays.forEach((date, i) => {
    if (holidays.has(date)) {
      issues.push({ path: ['calendar', 'extraWorkingDays', i], message: `${date} is also listed as a holiday` });
    }
  });

  for (const [brand, settings] of Object.entries(policy.sms.brands)) {
    // Customer SMS are sent for failed deliveries only (§6): a template for another reason would never be used.
    for (const reason of Object.keys(settings.templates.byReason ?? {})) {
      if (!FAILED_DELIVERY_REASONS.includes(reason as (typeof FAILED_DELIVERY_REASONS)[number])) {
        issues.push({
          path: ['sms', 'brands', brand, 'templates', 'byReason', reason],
          message: `"${reason}" is not a FAILED_DELIVERY reason code`,
        });
      }
    }
  }

  if (!Object.hasOwn(policy.sms.brands, policy.sms.defaultBrand)) {
    issues.push({ path: ['sms', 'defaultBrand'], message: `"${policy.sms.defaultBrand}" is not a brand in sms.brands` });
  }

  const steps = policy.escalation.steps;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].afterMinutes <= steps[i - 1].afterMinutes) {
      issues.push({ path: ['escalation', 'steps', i, 'afterMinutes'], message: `must be more than ${steps[i - 1].afterMinutes} (ascending)` });
    }
  }

  for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
}
