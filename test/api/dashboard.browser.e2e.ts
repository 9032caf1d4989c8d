import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { DateTime } from 'luxon';
import { chromium, type Browser, type Page } from 'playwright-core';
import { consumerLag } from '#messaging';
import { query, resetDatabase, TEST_DATABASE_URL } from '../support/database.js';
import { localTime, message, pickup, scan, waybillNo } from '../support/events.js';
import { produce, testKafka, uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, ROOT, startApp, stopApp, type RunningApp } from '../support/processes.js';
import { startApi, tokenFor, type RunningApi } from './support.js';

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags that keep Chromium from stalling on a closed network. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const RESULTS = resolve(ROOT, 'test-results');
const BROWSER_TIMEOUT_MS = 60_000;
/** Input messages produced while ingest is stopped: the ingest group's lag the dashboard must show. */
const UNCONSUMED = 12;
/** Failed deliveries left unregistered on top of the simulated day: open, overdue cases at several branches. */
const OPEN_FAILURES = 8;

const run = promisify(execFile);
const OPEN = `state NOT IN ('RESOLVED', 'CLOSED')`;
/** Deadlines whose miss is an overdue: not the hub dwell timer nor the escalation ladder's steps. */
const OVERDUE = `rule <> 'DWELL' AND rule NOT LIKE 'ESC%'`;

/**
 * The dashboard in real headless Chromium over a replayed stream. The simulator generates a short day of a sorting
 * network (three days back, so its deadlines are due) and produces it to Kafka; the real ingest and deadlines processes
 * turn it into cases, missed deadlines and liability; then ingest stops and more events arrive, so the ingest group
 * is honestly behind. Ops sign in and see that lag and the overdue figures, open the most urgent case and the BullMQ
 * board; staff of one branch see exactly that branch's open cases.
 */
describe('dashboard in headless Chromium over a replayed stream', () => {
  const prefix = uniquePrefix('apiui');
  const redisUrl = 'redis://127.0.0.1:6379/8';
  const policyFile = resolve(RESULTS, `${prefix}policy.json`);
  // Three days back: the day's events (some spill into the next morning) and most of its deadlines are in the past.
  const day = DateTime.now().setZone('Asia/Shanghai').minus({ days: 3 }).toISODate()!;
  const simulator = ['--seed', '11', '--waybills', '150', '--day', day];
  let ingest: RunningApp | undefined;
  let deadlines: RunningApp | undefined;
  let api: RunningApi;
  let browser: Browser;
  let admin: Admin;
  let opsToken: string;
  let branchToken: string;
  let branch: string;
  let branches: string[] = [];

  const inputTopics = ['scan', 'exception', 'reply', 'action'].map((t) => `${prefix}courier.${t}.v1`);
  const ingestLag = async () => (await consumerLag(admin, `${prefix}.ingest`, inputTopics)).reduce((sum, p) => sum + p.lag, 0);
  const count = async (sql: string, params: unknown[] = []) => (await query<{ n: number }>(sql, params))[0]!.n;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`);
    }
    mkdirSync(RESULTS, { recursive: true });
    await resetDatabase();
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();

    // The simulated network's policy first (the apps load it at start), then the same day onto Kafka.
    const simulate = (...args: string[]) => run(process.execPath, ['dist/apps/simulator/src/main.js', ...simulator, ...args], { cwd: ROOT, env: process.env });
    await simulate('--policy-out', policyFile);
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KAFKA_GROUP_PREFIX: prefix,
      POLICY_FILE: policyFile,
      DEADLINE_IDLE_GRACE_SECONDS: '2',
      LOG_LEVEL: 'warn',
    };
    [ingest, deadlines] = await Promise.all([startApp('ingest', env, freePort()), startApp('deadlines', env, freePort())]);
    await simulate('--kafka', '--topic-prefix', prefix);
    // The simulated journeys play out (nearly every case closes); yesterday's failed deliveries that nobody registered
    // stay open and overdue (D4), between pairs of the network's branches.
    const sites = JSON.parse(readFileSync(policyFile, 'utf8')) as { sites: Record<string, { type: string }> };
    branches = Object.entries(sites.sites).filter(([, s]) => s.type === 'BRANCH').map(([code]) => code);
    const failures = Array.from({ length: OPEN_FAILURES }, (_, i) => {
      const [origin, delivering] = [branches[i % 4]!, branches[(i % 4) + 4]!];
      const waybill = waybillNo('UIF');
      return [
        pickup(waybill, localTime(1, '08:00'), { siteCode: origin, originBranch: origin, destinationBranch: delivering }),
        scan(waybill, 'BRANCH_ARRIVAL', localTime(1, '12:00'), delivering),
        scan(waybill, 'OUT_FOR_DELIVERY', localTime(1, '13:00'), delivering, { courierId: `C${i}`, courierPhone: '13700002222' }),
        scan(waybill, 'DELIVERY_FAILED', localTime(1, '15:00'), delivering, { reasonCode: 'NOBODY_HOME', attempt: 1 }),
      ];
    });
    await produce(`${prefix}courier.scan.v1`, failures.flat().map(message));

    // Settled: ingest has committed everything, and every deadline already due has been judged.
    admin = testKafka('ui-admin').admin();
    await admin.connect();
    await eventually(async () => (await ingestLag()) === 0 && (await count(`SELECT count(*)::int AS n FROM problem_case`)) > 0, 45_000, 500);
    await eventually(async () => (await count(`SELECT count(*)::int AS n FROM deadline WHERE status = 'PENDING' AND due_at < now()`)) === 0, 45_000, 500);
    await stopApp(ingest);
    ingest = undefined;
    // More of the stream while ingest is down: it waits on the topic, unconsumed.
    const late = Array.from({ length: UNCONSUMED }, () => pickup(waybillNo('UI'), localTime(0, '00:05')));
    await produce(`${prefix}courier.scan.v1`, late.map(message));
    expect(await ingestLag()).toBe(UNCONSUMED);

    // Staff of the branch with the most open cases (as OB, DB or registering site).
    const [busiest] = await query<{ site: string }>(
      `SELECT site, count(DISTINCT case_id) AS n FROM problem_case,
              unnest(ARRAY[origin_branch, delivering_branch, reported_by_site]) AS site
        WHERE ${OPEN} AND site = ANY($1::text[]) GROUP BY site ORDER BY n DESC, site LIMIT 1`,
      [branches],
    );
    branch = busiest!.site;
    [opsToken, branchToken] = await Promise.all([tokenFor('ops-ui', 'OPS'), tokenFor(`branch-ui-${branch}`, 'BRANCH_STAFF', branch)]);
    api = await startApi({ TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix, REDIS_URL: redisUrl, POLICY_FILE: policyFile });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await admin?.disconnect();
    await Promise.all([stopApp(ingest), stopApp(deadlines)]);
  }, 30_000);

  async function signIn(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(api.url);
    await page.fill('#token', token);
    await page.click('#sign-in');
    return page;
  }

  const number = async (page: Page, selector: string) => Number((await page.textContent(selector))?.trim());
  const rowsOf = async (page: Page, selector: string) =>
    (await page.locator(`${selector} tr`).allInnerTexts()).slice(1).map((row) => row.split('\t').map((cell) => cell.trim()));

  it('shows ops the ingest lag and the overdue figures of the replayed stream, and opens the most urgent case', async () => {
    const missed = await query<{ rule: string; missed: number; retracted: number }>(
      `SELECT rule, count(*)::int AS missed, count(*) FILTER (WHERE status = 'RETRACTED')::int AS retracted
         FROM deadline WHERE status IN ('MISSED', 'RETRACTED') AND ${OVERDUE} GROUP BY 1 ORDER BY 1`,
    );
    expect(missed.reduce((sum, r) => sum + r.missed, 0)).toBeGreaterThan(0);

    const page = await signIn(opsToken);
    await page.waitForSelector('#ops-view:not(.hidden)');
    // Waits use locators, not page functions: the page's CSP forbids eval, and the test keeps it on.
    await page.locator('#lag-total', { hasText: /^[1-9]\d*$/ }).waitFor();
    expect(await page.textContent('#who')).toContain('OPS');
    const ingestRows = (await rowsOf(page, '#lag')).filter((cells) => cells[0]!.startsWith('ingest /'));
    expect(ingestRows.reduce((sum, cells) => sum + Number(cells[2]), 0)).toBe(UNCONSUMED);
    expect(await number(page, '#lag-total')).toBeGreaterThanOrEqual(UNCONSUMED);

    expect(await rowsOf(page, '#overdue')).toEqual(missed.map((r) => [r.rule, String(r.missed), String(r.retracted)]));
    const inForce = await count(`SELECT count(*)::int AS n FROM deadline WHERE status = 'MISSED' AND ${OVERDUE}`);
    const overdueCases = await count(`SELECT count(*)::int AS n FROM problem_case WHERE overdue AND ${OPEN}`);
    const byClass = await rowsOf(page, '#overdue-class');
    expect(byClass.reduce((sum, cells) => sum + Number(cells[1]), 0)).toBe(inForce);
    expect(byClass.reduce((sum, cells) => sum + Number(cells[2]), 0)).toBe(overdueCases);
    const bySite = await query<{ site_code: string; n: number }>(
      `SELECT site_code, count(*)::int AS n FROM deadline WHERE status = 'MISSED' AND site_code IS NOT NULL AND ${OVERDUE}
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`,
    );
    expect(await rowsOf(page, '#overdue-site')).toEqual(bySite.map((r) => [r.site_code, String(r.n)]));
    const byParty = await rowsOf(page, '#liability');
    expect(byParty.length).toBeGreaterThan(0);
    expect(byParty.every((cells) => Number(cells[1]) > 0)).toBe(true);
    expect(await number(page, '#pending')).toBe(await count(`SELECT count(*)::int AS n FROM deadline WHERE status = 'PENDING'`));
    expect(await number(page, '#dlq')).toBe(await count(`SELECT count(*)::int AS n FROM dlq_record`));
    const bars = page.locator('#trend svg rect');
    expect(await bars.count()).toBe(24);
    const heights = await Promise.all(Array.from({ length: 24 }, (_, i) => bars.nth(i).getAttribute('height')));
    expect(heights.some((h) => Number(h) > 0)).toBe(true);
    // events/s needs two samples of the offsets: the page refreshes every 3 s. Nothing flows while ingest is down.
    await page.locator('#eps-ingested', { hasText: /^\d/ }).waitFor();
    expect(await number(page, '#eps-ingested')).toBe(0);
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-ops.png'), fullPage: true });

    // The most urgent open case first; its detail opens beside the figures.
    const [urgent] = await query<{ case_id: string; case_no: string }>(
      `SELECT case_id, case_no FROM problem_case WHERE ${OPEN} ORDER BY next_due_at ASC NULLS LAST, case_id LIMIT 1`,
    );
    const first = page.locator('#urgent tr.case').first();
    expect(await first.getAttribute('data-case')).toBe(urgent!.case_no);
    await first.click();
    await page.waitForSelector('#case-panel:not(.hidden)');
    expect(await page.textContent('#case-title')).toContain(urgent!.case_no);
    const timeline = await count(`SELECT count(*)::int AS n FROM case_timeline WHERE case_id = $1`, [urgent!.case_id]);
    expect(await page.locator('#case-timeline tr').count()).toBe(timeline);
    expect(await page.locator('#case-deadlines tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-ops-case.png') });
    expect(existsSync(resolve(RESULTS, 'dashboard-ops-case.png'))).toBe(true);

    // Ops also get the BullMQ board of the deadline timers (the sign-in gave this browser its cookie).
    await page.locator('#queues-link:not(.hidden)').waitFor();
    const board = await page.context().request.get(`${api.url}/ops/queues/api/queues?activeQueue=deadlines&status=delayed`);
    expect(board.status()).toBe(200);
    const [queue] = ((await board.json()) as { queues: { name: string; counts: { delayed: number } }[] }).queues;
    expect(queue!.name).toBe('deadlines');
    expect(queue!.counts.delayed).toBe(await count(`SELECT count(*)::int AS n FROM deadline WHERE status = 'PENDING'`));
    await page.goto(`${api.url}/ops/queues/queue/deadlines?status=delayed`, { waitUntil: 'domcontentloaded' });
    await page.getByText('judged against PostgreSQL when due').waitFor();
    // The board lists the delayed jobs a page at a time: each shown is one of the deadlines pending in PostgreSQL.
    await page.getByText(/-(D\d+|C\d|S1|ESC\d+)$/).first().waitFor();
    const pending = new Set((await query<{ id: string }>(`SELECT deadline_id AS id FROM deadline WHERE status = 'PENDING'`)).map((r) => r.id));
    const shown = (await page.getByText(/-(D\d+|C\d|S1|ESC\d+)$/).allInnerTexts()).map((id) => id.trim());
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((id) => !pending.has(id))).toEqual([]);
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-queues.png') });
    await page.context().close();
  }, BROWSER_TIMEOUT_MS);

  it("shows branch staff exactly their branch's open cases, by due time", async () => {
    const expected = await query<{ case_no: string }>(
      `SELECT case_no FROM problem_case WHERE ${OPEN} AND $1 IN (origin_branch, delivering_branch, reported_by_site)
        ORDER BY next_due_at ASC NULLS LAST, case_id`,
      [branch],
    );
    const [foreign] = await query<{ case_no: string; waybill_no: string }>(
      `SELECT case_no, waybill_no FROM problem_case
        WHERE ${OPEN} AND $1 NOT IN (coalesce(origin_branch, ''), coalesce(delivering_branch, ''), coalesce(reported_by_site, '')) LIMIT 1`,
      [branch],
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(foreign).toBeDefined();

    const page = await signIn(branchToken);
    await page.waitForSelector('#site-view:not(.hidden)');
    await page.waitForSelector('#site-cases tr.case');
    expect(await page.isHidden('#ops-view')).toBe(true);
    expect(await page.isHidden('#queues-link')).toBe(true);
    expect(await page.textContent('#site-code')).toBe(branch);
    const rows = (await page.locator('#site-cases tr.case').allInnerTexts()).map((row) => row.split('\t')[0]!.trim());
    expect(rows).toEqual(expected.map((c) => c.case_no));
    const text = (await page.textContent('body')) ?? '';
    expect(text).not.toContain(foreign!.case_no);
    expect(text).not.toContain(foreign!.waybill_no);
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-branch.png'), fullPage: true });

    // The network summary and the queue board stay closed to the branch user even when asked directly.
    // Page expressions are strings: this project's TypeScript has no DOM typings.
    const status = await page.evaluate(
      `Promise.all(['api/ops/summary', 'ops/queues/api/queues'].map((path) => fetch(path, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('courierToken') } }).then((r) => r.status)))`,
    );
    expect(status).toEqual([403, 403]);

    await page.click('#sign-out');
    await page.waitForSelector('#login:not(.hidden)');
    expect(await page.evaluate(`sessionStorage.getItem('courierToken')`)).toBeNull();
    await page.context().close();
  }, BROWSER_TIMEOUT_MS);

  it('refuses a wrong token at sign-in', async () => {
    const page = await signIn(`cps_${'x'.repeat(43)}`);
    await page.locator('#login-error', { hasText: 'not valid' }).waitFor();
    expect(await page.isHidden('#ops-view')).toBe(true);
    await page.context().close();
  }, BROWSER_TIMEOUT_MS);
});
