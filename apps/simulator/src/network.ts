import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DateTime } from 'luxon';
import { loadPolicy, type Policy } from '#domain';
import { Rng } from './prng.js';

/**
 * The simulated sorting network: hubs, branches, line-hauls, schedules and contacts. It is both the model the
 * traffic generator walks and the source of the policy file the services load, so the two always agree.
 *
 * Topology: H01 is the central hub with a line-haul to every other hub; H02…H06 form a ring. Traffic only
 * flows on planned line-hauls (origin home hub → delivering home hub, directly), so every waybill touches one or
 * two hubs, and the hubs allowed on the way to a branch (`hubRoutes`) are its home hub and the hubs with a
 * line-haul to it. Two ring hubs are therefore never on the way to a branch: an arrival there is MISSENT.
 */

export type StaffRole = 'supervisor' | 'finance' | 'reconciliation' | 'cs' | 'manager';
export type StaffContacts = Partial<Record<StaffRole, string>>;

export interface Courier {
  id: string;
  phone: string;
}

export interface Hub {
  code: string;
  name: string;
  /** Hubs with a planned line-haul from and to this one. */
  lineHauls: string[];
  staff: StaffContacts;
}

export interface Branch {
  code: string;
  name: string;
  homeHub: string;
  /** Outbound departures (D7, and when picked-up items leave for the hub). */
  departures: string[];
  /** D4 ends at this local time when set. */
  closeTime: string | null;
  /** When couriers go out to deliver. */
  deliveryWaves: string[];
  /** Minutes from this branch to its home hub. */
  minutesToHub: number;
  /** Minutes from the home hub to this branch; null when the policy's route table has no entry (D3 falls back to ACTUAL). */
  routeMinutes: number | null;
  /** The true hub → branch transit (used for the drive even when the route table lacks the entry). */
  driveMinutes: number;
  couriers: Courier[];
  staff: StaffContacts;
  /** Relative share of the day's pickups. */
  pickupWeight: number;
}

export interface SmsBrand {
  courierHotline?: string;
  templates: { default: string; byReason?: Record<string, string> };
}

const HUB_PLAN: readonly { code: string; city: string; districts: readonly string[] }[] = [
  { code: 'H01', city: '广州', districts: ['天河', '越秀', '海珠', '白云', '番禺', '黄埔', '花都', '增城'] },
  { code: 'H02', city: '深圳', districts: ['福田', '南山', '罗湖', '宝安', '龙岗', '龙华', '光明'] },
  { code: 'H03', city: '东莞', districts: ['莞城', '南城', '东城', '虎门', '长安', '松山湖', '常平'] },
  { code: 'H04', city: '佛山', districts: ['禅城', '南海', '顺德', '三水', '高明', '大良'] },
  { code: 'H05', city: '江门', districts: ['蓬江', '江海', '新会', '台山', '开平', '鹤山'] },
  { code: 'H06', city: '珠海', districts: ['香洲', '拱北', '斗门', '金湾', '横琴', '唐家湾'] },
];
const CENTRAL_HUB = 'H01';

const DEPARTURE_PLANS: readonly (readonly string[])[] = [
  ['09:00', '15:00', '20:00'],
  ['10:00', '16:00', '19:30'],
  ['08:30', '14:00', '18:30', '21:00'],
];
const CLOSE_TIMES = ['19:00', '20:00', '21:00'] as const;

/** Chinese national holidays of 2026 and the weekend days worked in exchange (调休), per the State Council notice. */
const HOLIDAYS_2026: readonly (readonly [string, string])[] = [
  ['2026-01-01', '2026-01-03'], // 元旦
  ['2026-02-15', '2026-02-23'], // 春节
  ['2026-04-04', '2026-04-06'], // 清明节
  ['2026-05-01', '2026-05-05'], // 劳动节
  ['2026-06-19', '2026-06-21'], // 端午节
  ['2026-09-25', '2026-09-27'], // 中秋节
  ['2026-10-01', '2026-10-07'], // 国庆节
];
const EXTRA_WORKING_DAYS_2026 = ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'];

const STAFF_DOMAIN = 'sim-courier.example.com';
export const DEFAULT_BRAND = '能达速递';

/** The seed template (短信内容必须具备: 姓氏、单号) with brand and courier contact made configurable. */
const SMS_BRANDS: Record<string, SmsBrand> = {
  [DEFAULT_BRAND]: {
    courierHotline: '400-820-6500',
    templates: {
      default:
        '{surname}{honorific}您好，{brand}提醒：单号{waybillNo}的快件今日派送未成功，请您收到信息后及时与快递员联系，电话{courierPhone}。',
      byReason: {
        NOBODY_HOME:
          '{surname}{honorific}，您好，{brand}！单号：{waybillNo}快件已到，刚给您送去，家中无人，电话联系不上，请您在收到信息后及时与我联系，电话{courierPhone}。',
        NO_ANSWER:
          '{surname}{honorific}您好，{brand}单号{waybillNo}的快件派送时多次致电未接通，请回电{courierPhone}约定派送时间。',
        ADDRESS_UNCLEAR:
          '{surname}{honorific}您好，{brand}单号{waybillNo}的收件地址不详，请致电{courierPhone}补充详细地址。',
        CANNOT_PAY:
          '{surname}{honorific}您好，{brand}单号{waybillNo}为代收货款快件，今日未能完成付款，请备好货款后联系{courierPhone}。',
      },
    },
  },
  顺路快递: {
    courierHotline: '400-606-1188',
    templates: {
      default: '【{brand}】{surname}{honorific}，您的快件{waybillNo}今日未能送达，快递员电话{courierPhone}，请及时联系。',
    },
  },
};

export class Network {
  readonly hubs: Hub[];
  readonly branches: Branch[];
  readonly hubByCode: ReadonlyMap<string, Hub>;
  readonly branchByCode: ReadonlyMap<string, Branch>;
  private readonly lineHaulMinutesByPair: ReadonlyMap<string, number>;
  private readonly destinationsByOrigin = new Map<string, Branch[]>();

  constructor(
    readonly seed: number,
    readonly timeZone: string,
    hubs: Hub[],
    branches: Branch[],
    lineHaulMinutes: Map<string, number>,
  ) {
    this.hubs = hubs;
    this.branches = branches;
    this.hubByCode = new Map(hubs.map((hub) => [hub.code, hub]));
    this.branchByCode = new Map(branches.map((branch) => [branch.code, branch]));
    this.lineHaulMinutesByPair = lineHaulMinutes;
  }

  get version(): string {
    return `simulated-network-seed-${this.seed}`;
  }

  hub(code: string): Hub {
    const hub = this.hubByCode.get(code);
    if (!hub) throw new RangeError(`unknown hub ${code}`);
    return hub;
  }

  branch(code: string): Branch {
    const branch = this.branchByCode.get(code);
    if (!branch) throw new RangeError(`unknown branch ${code}`);
    return branch;
  }

  /** Hubs allowed on the way to `branchCode` (policy `hubRoutes`): its home hub and those with a line-haul to it. */
  hubRoutesFor(branchCode: string): string[] {
    const home = this.hub(this.branch(branchCode).homeHub);
    return [home.code, ...home.lineHauls];
  }

  /** The hubs a waybill from `origin` to `destination` passes, in order (one or two). */
  hubPath(origin: string, destination: string): string[] {
    const from = this.branch(origin).homeHub;
    const to = this.branch(destination).homeHub;
    if (from === to) return [from];
    if (!this.hub(from).lineHauls.includes(to)) {
      throw new RangeError(`no line-haul from ${from} to ${to}: ${destination} is not served from ${origin}`);
    }
    return [from, to];
  }

  lineHaulMinutes(fromHub: string, toHub: string): number {
    const value = this.lineHaulMinutesByPair.get(pairKey(fromHub, toHub));
    if (value === undefined) throw new RangeError(`no line-haul between ${fromHub} and ${toHub}`);
    return value;
  }

  /** Delivering branches a pickup at `origin` may be addressed to: those served by a planned line-haul. */
  destinationsFrom(origin: string): Branch[] {
    let destinations = this.destinationsByOrigin.get(origin);
    if (!destinations) {
      const home = this.hub(this.branch(origin).homeHub);
      const reachable = new Set([home.code, ...home.lineHauls]);
      destinations = this.branches.filter((branch) => branch.code !== origin && reachable.has(branch.homeHub));
      this.destinationsByOrigin.set(origin, destinations);
    }
    return destinations;
  }

  /** Hubs that are not on the way to `branchCode`: an arrival there is MISSENT by hub (§2.1). */
  hubsOffRouteFor(branchCode: string): string[] {
    const allowed = new Set(this.hubRoutesFor(branchCode));
    return this.hubs.map((hub) => hub.code).filter((code) => !allowed.has(code));
  }

  /** Other branches served by the same hub: where a mis-sorted item most plausibly ends up. */
  siblingsOf(branchCode: string): Branch[] {
    const homeHub = this.branch(branchCode).homeHub;
    return this.branches.filter((branch) => branch.homeHub === homeHub && branch.code !== branchCode);
  }

  /** The policy document (rules.md, policy contract), every field explicit. */
  toPolicyDocument(): PolicyDocument {
    const sites: PolicyDocument['sites'] = {};
    for (const hub of this.hubs) {
      sites[hub.code] = { type: 'HUB', name: hub.name, staff: { ...hub.staff } };
    }
    for (const branch of this.branches) {
      sites[branch.code] = {
        type: 'BRANCH',
        name: branch.name,
        ...(branch.closeTime ? { closeTime: branch.closeTime } : {}),
        departures: [...branch.departures],
        staff: { ...branch.staff },
      };
    }
    const hubRoutes: Record<string, string[]> = {};
    const routes: PolicyDocument['routes'] = [];
    for (const branch of this.branches) {
      hubRoutes[branch.code] = this.hubRoutesFor(branch.code);
      if (branch.routeMinutes !== null) {
        routes.push({ from: branch.homeHub, to: branch.code, transitMinutes: branch.routeMinutes });
      }
    }
    return {
      version: this.version,
      timeZone: this.timeZone,
      hubDwellLimitMinutes: 720,
      d2CutoffTime: '10:00',
      durations: { d3: 120, d5: 1440, d6: 1440, d7LaterDay: 1440, c1: 720, c2: 1440, s1: 120 },
      c3WorkingDays: 3,
      hubRoutes,
      routes,
      sites,
      calendar: {
        weekendDays: [6, 7],
        holidays: HOLIDAYS_2026.flatMap(([first, last]) => datesBetween(first, last)),
        extraWorkingDays: [...EXTRA_WORKING_DAYS_2026],
      },
      quietHours: { start: '21:00', end: '08:00' },
      sms: { defaultBrand: DEFAULT_BRAND, brands: structuredClone(SMS_BRANDS) },
      escalation: {
        steps: [
          { afterMinutes: 0, target: 'SITE' },
          { afterMinutes: 120, target: 'SUPERVISOR' },
          { afterMinutes: 1440, target: 'HQ' },
        ],
      },
    };
  }

  /** The policy as the services load it: the document validated by the shared `loadPolicy`. */
  toPolicy(): Policy {
    return loadPolicy(this.toPolicyDocument());
  }
}

/** The policy file's JSON shape (the input of `loadPolicy`). */
export interface PolicyDocument {
  version: string;
  timeZone: string;
  hubDwellLimitMinutes: number;
  d2CutoffTime: string;
  durations: Record<'d3' | 'd5' | 'd6' | 'd7LaterDay' | 'c1' | 'c2' | 's1', number>;
  c3WorkingDays: number;
  hubRoutes: Record<string, string[]>;
  routes: { from: string; to: string; transitMinutes: number }[];
  sites: Record<
    string,
    { type: 'HUB' | 'BRANCH'; name?: string; closeTime?: string; departures?: string[]; staff?: StaffContacts }
  >;
  calendar: { weekendDays: number[]; holidays: string[]; extraWorkingDays: string[] };
  quietHours: { start: string; end: string };
  sms: { defaultBrand: string; brands: Record<string, SmsBrand> };
  escalation: { steps: { afterMinutes: number; target: 'SITE' | 'SUPERVISOR' | 'HQ' }[] };
}

export interface NetworkOptions {
  seed: number;
  timeZone?: string;
}

/**
 * Builds the network for a seed. The structure (codes, names, topology) is fixed; the seed draws schedules,
 * transit times, close times, couriers and pickup volumes. The same seed gives the same network on every day,
 * so one policy file serves a run of simulated days.
 */
export function buildNetwork({ seed, timeZone = 'Asia/Shanghai' }: NetworkOptions): Network {
  const rng = new Rng(seed).fork('network');
  const ringHubs = HUB_PLAN.map((plan) => plan.code).filter((code) => code !== CENTRAL_HUB);
  const hubs: Hub[] = HUB_PLAN.map((plan) => {
    const ringIndex = ringHubs.indexOf(plan.code);
    const lineHauls =
      plan.code === CENTRAL_HUB
        ? [...ringHubs]
        : [
            CENTRAL_HUB,
            ringHubs[(ringIndex + 1) % ringHubs.length]!,
            ringHubs[(ringIndex + ringHubs.length - 1) % ringHubs.length]!,
          ].sort();
    return {
      code: plan.code,
      name: `${plan.city}分拨中心`,
      lineHauls,
      staff: staffFor(plan.code, ['supervisor', 'manager', 'cs']),
    };
  });

  const lineHaulMinutes = new Map<string, number>();
  for (const hub of hubs) {
    for (const other of hub.lineHauls) {
      const key = pairKey(hub.code, other);
      if (!lineHaulMinutes.has(key)) lineHaulMinutes.set(key, rng.int(9, 24) * 10);
    }
  }

  const branches: Branch[] = [];
  for (const plan of HUB_PLAN) {
    plan.districts.forEach((district, index) => {
      const code = `B${plan.code.slice(1)}${String(index + 1).padStart(2, '0')}`;
      const driveMinutes = rng.int(8, 30) * 5;
      branches.push({
        code,
        name: `${plan.city}${district}营业部`,
        homeHub: plan.code,
        departures: [...rng.pick(DEPARTURE_PLANS)],
        closeTime: rng.chance(0.35) ? rng.pick(CLOSE_TIMES) : null,
        deliveryWaves: rng.chance(0.3) ? ['08:30', '13:30', '17:30'] : ['08:30', '13:30'],
        minutesToHub: rng.int(6, 24) * 5,
        routeMinutes: driveMinutes,
        driveMinutes,
        couriers: Array.from({ length: rng.int(4, 8) }, (_, n) => ({
          id: `${code}C${String(n + 1).padStart(2, '0')}`,
          phone: mobileNumber(rng),
        })),
        staff: staffFor(code, ['supervisor', 'finance', 'reconciliation', 'manager']),
        pickupWeight: rng.int(5, 20),
      });
    });
  }
  // Realism the rules must cope with: a route table that misses newly opened branches (D3 falls back to the
  // actual arrival), and a branch whose supervisor post is vacant (S1 cannot be met there).
  for (const code of BRANCHES_WITHOUT_ROUTE) {
    branches.find((branch) => branch.code === code)!.routeMinutes = null;
  }
  delete branches.find((branch) => branch.code === BRANCH_WITHOUT_SUPERVISOR)!.staff.supervisor;

  return new Network(seed, timeZone, hubs, branches, lineHaulMinutes);
}

/** Branches absent from the policy's route table. */
export const BRANCHES_WITHOUT_ROUTE = ['B0307', 'B0506'] as const;
/** The branch with no supervisor contact. */
export const BRANCH_WITHOUT_SUPERVISOR = 'B0606';

/** Validates the network's policy with the shared `loadPolicy` and writes it as pretty JSON. */
export async function writePolicyFile(path: string, network: Network): Promise<Policy> {
  const document = network.toPolicyDocument();
  const policy = loadPolicy(document);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`, 'utf8');
  return policy;
}

/** A mainland mobile number: 1, a carrier digit, nine more digits. */
export function mobileNumber(rng: Rng): string {
  return `1${rng.pick(['3', '5', '7', '8', '9'])}${rng.digits(9)}`;
}

function staffFor(siteCode: string, roles: readonly StaffRole[]): StaffContacts {
  return Object.fromEntries(roles.map((role) => [role, `${role}.${siteCode.toLowerCase()}@${STAFF_DOMAIN}`]));
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}>${b}` : `${b}>${a}`;
}

function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  const end = DateTime.fromISO(last, { zone: 'UTC' });
  for (let day = DateTime.fromISO(first, { zone: 'UTC' }); day <= end; day = day.plus({ days: 1 })) {
    dates.push(day.toFormat('yyyy-LL-dd'));
  }
  return dates;
}
