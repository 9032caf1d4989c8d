import { readFileSync } from 'node:fs';
import {
  allowedHubsFor,
  loadPolicy,
  policyFingerprint,
  PolicyValidationError,
  renderSmsTemplate,
  smsTemplateFor,
  transitMinutes,
  type PolicyInput,
} from './index.js';

const network = (): PolicyInput => ({
  version: 'test-1',
  hubRoutes: { B01: ['H01'], B02: ['H01', 'H02'] },
  routes: [
    { from: 'H01', to: 'B01', transitMinutes: 120 },
    { from: 'H02', to: 'B02', transitMinutes: 90 },
  ],
  sites: {
    H01: { type: 'HUB' },
    H02: { type: 'HUB' },
    B01: { type: 'BRANCH', closeTime: '19:00', departures: ['09:00', '15:00', '20:00'], staff: { supervisor: 'sup-b01' } },
    B02: { type: 'BRANCH' },
  },
  sms: {
    defaultBrand: 'ZTO',
    brands: {
      ZTO: {
        courierHotline: '95311',
        templates: {
          default: '{surname}{honorific}您好，{brand}快件{waybillNo}派送未成功，请联系{courierPhone}',
          byReason: { NOBODY_HOME: '{surname}{honorific}，{waybillNo}送去无人' },
        },
      },
    },
  },
});

/** The issues a policy fails with, as `path: message` lines. */
function issuesOf(input: unknown): string[] {
  try {
    loadPolicy(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    return (error as PolicyValidationError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('policy was accepted');
}

describe('loadPolicy', () => {
  it('fills every default of rules.md into a minimal policy', () => {
    const policy = loadPolicy({ version: 'v1' });
    expect(policy).toEqual({
      version: 'v1',
      timeZone: 'Asia/Shanghai',
      hubDwellLimitMinutes: 720,
      d2CutoffTime: '10:00',
      durations: { d3: 120, d5: 1440, d6: 1440, d7LaterDay: 1440, c1: 720, c2: 1440, s1: 120 },
      c3WorkingDays: 3,
      hubRoutes: {},
      routes: [],
      sites: {},
      calendar: { weekendDays: [6, 7], holidays: [], extraWorkingDays: [] },
      quietHours: { start: '21:00', end: '08:00' },
      sms: { defaultBrand: 'DEFAULT', brands: { DEFAULT: { templates: { default: expect.stringContaining('{waybillNo}') } } } },
      escalation: {
        steps: [
          { afterMinutes: 0, target: 'SITE' },
          { afterMinutes: 120, target: 'SUPERVISOR' },
          { afterMinutes: 1440, target: 'HQ' },
        ],
      },
    });
  });

  it('keeps the configured values and fills the rest of a partial section', () => {
    const policy = loadPolicy({ ...network(), timeZone: 'America/New_York', durations: { d5: 60 }, quietHours: { start: '22:00' } });
    expect(policy.timeZone).toBe('America/New_York');
    expect(policy.durations).toEqual({ d3: 120, d5: 60, d6: 1440, d7LaterDay: 1440, c1: 720, c2: 1440, s1: 120 });
    expect(policy.quietHours).toEqual({ start: '22:00', end: '08:00' });
    expect(policy.sites.B01.departures).toEqual(['09:00', '15:00', '20:00']);
  });

  it('accepts the shipped default policy', () => {
    const file = new URL('../../../../config/policy.default.json', import.meta.url);
    const policy = loadPolicy(JSON.parse(readFileSync(file, 'utf8')));
    expect(policy.timeZone).toBe('Asia/Shanghai');
    expect(Object.keys(policy.sites).length).toBeGreaterThan(0);
  });

  it.each<[string, (p: Record<string, any>) => void, string]>([
    ['a malformed departure', (p) => (p.sites.B01.departures = ['09:00', '9:30']), 'sites.B01.departures[1]: must be HH:mm'],
    ['an unknown zone', (p) => (p.timeZone = 'Mars/Base'), 'timeZone: unknown IANA zone "Mars/Base"'],
    [
      'an SMS template without the surname',
      (p) => (p.sms.brands.ZTO.templates.default = '您好，快件{waybillNo}派送未成功'),
      'sms.brands.ZTO.templates.default: must contain {surname}, {honorific} and {waybillNo}',
    ],
    [
      'a per-reason SMS template without the tracking number',
      (p) => (p.sms.brands.ZTO.templates.byReason.REFUSED = '{surname}{honorific}您好'),
      'sms.brands.ZTO.templates.byReason.REFUSED: must contain {surname}, {honorific} and {waybillNo}',
    ],
    [
      'a per-reason SMS template for a reason that sends no SMS',
      (p) => (p.sms.brands.ZTO.templates.byReason.LOST = '{surname}{honorific}，{waybillNo}'),
      'sms.brands.ZTO.templates.byReason.LOST: "LOST" is not a FAILED_DELIVERY reason code',
    ],
    [
      'an SMS template with a misspelt placeholder',
      (p) => (p.sms.brands.ZTO.templates.default += '{courierphone}'),
      'sms.brands.ZTO.templates.default: unknown placeholder {courierphone} (allowed: {surname} {honorific} {waybillNo} {brand} {courierPhone})',
    ],
    ['departures out of order', (p) => (p.sites.B01.departures = ['09:00', '20:00', '15:00']), 'sites.B01.departures[2]: must be after 20:00 (ascending, no repeats)'],
    ['a repeated departure', (p) => (p.sites.B01.departures = ['09:00', '09:00']), 'sites.B01.departures[1]: must be after 09:00 (ascending, no repeats)'],
    ['a malformed close time', (p) => (p.sites.B01.closeTime = '24:00'), 'sites.B01.closeTime: must be HH:mm'],
    ['a hub route to an unknown branch', (p) => (p.hubRoutes.B09 = ['H01']), 'hubRoutes.B09: "B09" is not a branch in sites'],
    ['a hub route through a branch', (p) => (p.hubRoutes.B01 = ['H01', 'B02']), 'hubRoutes.B01[1]: "B02" is not a hub in sites'],
    ['a route from an unknown site', (p) => (p.routes[0].from = 'H99'), 'routes[0].from: "H99" is not a site in sites'],
    ['a route to a hub', (p) => (p.routes[1].to = 'H01'), 'routes[1].to: "H01" is not a branch in sites'],
    ['a duplicate route', (p) => p.routes.push({ from: 'H01', to: 'B01', transitMinutes: 60 }), 'routes[2]: duplicate route H01 -> B01'],
    ['a site code with a space', (p) => (p.sites['B 03'] = { type: 'BRANCH' }), 'sites.B 03: must be a site code of 1-32 letters, digits, _ or -'],
    ['a negative transit time', (p) => (p.routes[0].transitMinutes = -5), 'routes[0].transitMinutes: must not be negative'],
    ['a zero duration', (p) => (p.durations = { d5: 0 }), 'durations.d5: must be more than 0 minutes'],
    ['a fractional duration', (p) => (p.durations = { d6: 90.5 }), 'durations.d6: must be a whole number of minutes'],
    ['an unknown duration', (p) => (p.durations = { d2: 1 }), 'durations.d2: unknown setting'],
    ['a misspelt top-level key', (p) => (p.hubDwelLimitMinutes = 60), 'hubDwelLimitMinutes: unknown setting'],
    ['an unknown site type', (p) => (p.sites.B02.type = 'DEPOT'), 'sites.B02.type: Invalid option: expected one of "HUB"|"BRANCH"'],
    ['an invalid holiday', (p) => (p.calendar = { holidays: ['2026-02-30'] }), 'calendar.holidays[0]: must be a date YYYY-MM-DD'],
    ['a weekday out of range', (p) => (p.calendar = { weekendDays: [0] }), 'calendar.weekendDays[0]: must be an ISO weekday 1..7'],
    ['a week without working days', (p) => (p.calendar = { weekendDays: [1, 2, 3, 4, 5, 6, 7] }), 'calendar.weekendDays: must leave at least one working weekday'],
    [
      'a date both holiday and working day',
      (p) => (p.calendar = { holidays: ['2026-10-01'], extraWorkingDays: ['2026-10-01'] }),
      'calendar.extraWorkingDays[0]: 2026-10-01 is also listed as a holiday',
    ],
    ['an unknown default brand', (p) => (p.sms.defaultBrand = 'STO'), 'sms.defaultBrand: "STO" is not a brand in sms.brands'],
    [
      'escalation steps out of order',
      (p) => (p.escalation = { steps: [{ afterMinutes: 120, target: 'SITE' }, { afterMinutes: 60, target: 'HQ' }] }),
      'escalation.steps[1].afterMinutes: must be more than 120 (ascending)',
    ],
    ['a webhook that is not http', (p) => (p.sites.B01.webhookUrl = 'ftp://example.com/hook'), 'sites.B01.webhookUrl: must be an http(s) URL'],
    ['no version', (p) => delete p.version, 'version: Invalid input: expected string, received undefined'],
  ])('rejects %s, naming the path', (_case, mutate, expected) => {
    const input = structuredClone(network()) as Record<string, any>;
    mutate(input);
    expect(issuesOf(input)).toContain(expected);
  });

  it('reports every problem at once in the error message', () => {
    const input = structuredClone(network()) as Record<string, any>;
    input.timeZone = 'Mars/Base';
    input.sites.B01.departures = ['9:00'];
    let message = '';
    try {
      loadPolicy(input, 'bad.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('invalid policy (bad.json):');
    expect(message).toContain('  timeZone: unknown IANA zone "Mars/Base"');
    expect(message).toContain('  sites.B01.departures[0]: must be HH:mm');
  });

  it('rejects a document that is not an object', () => {
    expect(issuesOf(null)).toEqual([': Invalid input: expected object, received null']);
    expect(issuesOf([])).toHaveLength(1);
  });
});

describe('policyFingerprint', () => {
  it('ignores key order and spelt-out defaults', () => {
    const base = loadPolicy(network());
    const reordered = loadPolicy(Object.fromEntries(Object.entries({ ...network(), d2CutoffTime: '10:00' }).reverse()));
    expect(policyFingerprint(reordered)).toBe(policyFingerprint(base));
    expect(policyFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any setting', () => {
    const base = policyFingerprint(loadPolicy(network()));
    expect(policyFingerprint(loadPolicy({ ...network(), durations: { d5: 720 } }))).not.toBe(base);
    expect(policyFingerprint(loadPolicy({ ...network(), d2CutoffTime: '09:00' }))).not.toBe(base);
  });
});

describe('policy look-ups', () => {
  const policy = loadPolicy(network());

  it('finds transit times and allowed hubs', () => {
    expect(transitMinutes(policy, 'H01', 'B01')).toBe(120);
    expect(transitMinutes(policy, 'H02', 'B01')).toBeNull();
    expect(allowedHubsFor(policy, 'B02')).toEqual(['H01', 'H02']);
    expect(allowedHubsFor(policy, 'B03')).toBeNull();
    expect(allowedHubsFor(policy, 'constructor')).toBeNull();
  });

  it('picks the SMS template by brand and reason, falling back to the defaults', () => {
    expect(smsTemplateFor(policy, 'ZTO', 'NOBODY_HOME')).toEqual({
      brand: 'ZTO',
      template: '{surname}{honorific}，{waybillNo}送去无人',
      courierHotline: '95311',
    });
    expect(smsTemplateFor(policy, 'UNKNOWN', 'REFUSED').template).toContain('派送未成功');
    expect(smsTemplateFor(policy, null, 'REFUSED').brand).toBe('ZTO');
  });

  it('renders a template, leaving missing values empty', () => {
    const { template } = smsTemplateFor(policy, 'ZTO', 'REFUSED');
    expect(renderSmsTemplate(template, { surname: '王', honorific: '女士', brand: '中通', waybillNo: 'ZT1234567890' })).toBe(
      '王女士您好，中通快件ZT1234567890派送未成功，请联系',
    );
  });
});
