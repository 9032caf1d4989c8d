import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { resetDatabase } from '../support/database.js';
import { localTime, message, pickup, scan, waybillNo } from '../support/events.js';
import { produce, uniquePrefix } from '../support/kafka.js';
import { seedCase, seedHistory, startApi, tokenFor, withDb, type RunningApi } from './support.js';

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
const RESULTS = resolve(process.cwd(), 'test-results');
const BROWSER_TIMEOUT_MS = 60_000;

/**
 * The dashboard in real headless Chromium: ops sign in and see non-zero lag, overdue and pipeline figures from a
 * short stream replayed into Kafka and the cases in PostgreSQL, open a case and its detail; a branch user signs in
 * and sees only that branch's open cases.
 */
describe('dashboard in headless Chromium', () => {
  const prefix = uniquePrefix('apiui');
  let api: RunningApi;
  let browser: Browser;
  let opsToken: string;
  let branchToken: string;
  const foreignWaybill = 'WB0000000502';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`);
    }
    mkdirSync(RESULTS, { recursive: true });
    await resetDatabase();
    await withDb(async (client) => {
      const due = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
      const overdueDb = [{ rule: 'D4', party: 'DB', siteCode: 'SHB001' }];
      const a = await seedCase(client, { n: 501, originBranch: 'SHB002', deliveringBranch: 'SHB001', nextDueAt: due(1), overdue: overdueDb });
      await seedCase(client, { n: 502, originBranch: 'HZB002', deliveringBranch: 'HZB001', nextDueAt: due(2) });
      await seedCase(client, { n: 503, caseClass: 'DAMAGE', reasonCode: 'DAMAGED', originBranch: 'SHB001', deliveringBranch: 'HZB001', nextDueAt: due(3) });
      await seedCase(client, { n: 504, caseClass: 'COMPLAINT', reasonCode: 'DELAY', originBranch: 'HZB002', deliveringBranch: 'HZB001', nextDueAt: due(4) });
      await seedCase(client, { n: 505, originBranch: 'SHB002', deliveringBranch: 'SHB001', state: 'CLOSED', nextDueAt: null });
      await seedHistory(client, a, 'SHB001');
      await client.query(
        `INSERT INTO deadline (deadline_id, case_id, waybill_no, rule, due_at, party, site_code, status, armed_at)
         VALUES ('WB0000000502-FAILED_DELIVERY-1-D5', 'WB0000000502-FAILED_DELIVERY-1', 'WB0000000502', 'D5', $1, 'OB', 'HZB002', 'PENDING', now())`,
        [due(2)],
      );
      await client.query(
        `INSERT INTO dlq_record (topic, partition, "offset", message_key, reason, field)
         VALUES ($1, 0, 7, 'BAD', 'occurredAt: timestamp must carry an offset', 'occurredAt')`,
        [`${prefix}courier.scan.v1`],
      );
    });
    // A short simulated stream nobody has consumed yet: it is the ingest group's lag on the dashboard.
    const stream = Array.from({ length: 3 }, () => waybillNo('UI')).flatMap((waybill) => [
      message(pickup(waybill, localTime(0, '08:00'))),
      message(scan(waybill, 'HUB_ARRIVAL', localTime(0, '09:00'), 'SHH01')),
      message(scan(waybill, 'HUB_DEPARTURE', localTime(0, '10:00'), 'SHH01', { nextSiteCode: 'SHB001' })),
    ]);
    await produce(`${prefix}courier.scan.v1`, stream);
    [opsToken, branchToken] = await Promise.all([tokenFor('ops-ui', 'OPS'), tokenFor('branch-ui', 'BRANCH_STAFF', 'SHB001')]);
    api = await startApi({ TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
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

  it('shows ops the network figures, non-zero, and opens a case', async () => {
    const page = await signIn(opsToken);
    await page.waitForSelector('#ops-view:not(.hidden)');
    // Waits use locators, not page functions: the page's CSP forbids eval, and the test keeps it on.
    await page.locator('#lag-total', { hasText: /^[1-9]\d*$/ }).waitFor();
    expect(await page.textContent('#who')).toContain('OPS');
    expect(await number(page, '#lag-total')).toBe(9);
    expect(await number(page, '#dlq')).toBe(1);
    expect(await number(page, '#pending')).toBe(1);
    expect(await page.textContent('#overdue')).toMatch(/D4\s*1/);
    expect(await page.textContent('#overdue-class')).toMatch(/FAILED_DELIVERY\s*1/);
    expect(await page.textContent('#overdue-site')).toMatch(/SHB001\s*1/);
    expect(await page.textContent('#liability')).toMatch(/DB\s*1/);
    expect(await page.textContent('#dlqlatest')).toContain('timestamp must carry an offset');
    expect(await page.locator('#lag tr').count()).toBeGreaterThan(1);
    expect(await page.locator('#trend svg rect').count()).toBe(24);
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-ops.png'), fullPage: true });

    // The most urgent open case first; its detail opens beside the figures.
    const first = page.locator('#urgent tr.case').first();
    expect(await first.getAttribute('data-case')).toBe('PI-202611-0000501');
    await first.click();
    await page.waitForSelector('#case-panel:not(.hidden)');
    expect(await page.textContent('#case-title')).toContain('PI-202611-0000501');
    expect(await page.locator('#case-timeline tr').count()).toBe(2);
    expect(await page.textContent('#case-deadlines')).toContain('MISSED');
    expect(await page.textContent('#case-liability')).toContain('RECORD');
    expect(await page.textContent('#case-notifications')).toContain('138****5678');
    expect(await page.content()).not.toContain('13812345678');
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-ops-case.png') });
    expect(existsSync(resolve(RESULTS, 'dashboard-ops-case.png'))).toBe(true);
    await page.context().close();
  }, BROWSER_TIMEOUT_MS);

  it("shows branch staff only their branch's open cases, by due time", async () => {
    const page = await signIn(branchToken);
    await page.waitForSelector('#site-view:not(.hidden)');
    await page.waitForSelector('#site-cases tr.case');
    expect(await page.isHidden('#ops-view')).toBe(true);
    expect(await page.textContent('#site-code')).toBe('SHB001');
    const rows = (await page.locator('#site-cases tr.case').allInnerTexts()).map((row) => row.split('\t').map((cell) => cell.trim()));
    // Open cases where SHB001 is the OB or the DB, most urgent first; the closed one and HZB001's are absent.
    expect(rows.map((cells) => cells[0])).toEqual(['PI-202611-0000501', 'PI-202611-0000503']);
    for (const cells of rows) expect([cells[4], cells[5]]).toContain('SHB001');
    const text = (await page.textContent('body')) ?? '';
    expect(text).not.toContain(foreignWaybill);
    expect(text).not.toContain('PI-202611-0000504');
    await page.screenshot({ path: resolve(RESULTS, 'dashboard-branch.png'), fullPage: true });

    // The network summary stays closed to the branch user even when asked directly.
    // Page expressions are strings: this project's TypeScript has no DOM typings.
    const status = await page.evaluate(
      `fetch('api/ops/summary', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('courierToken') } }).then((r) => r.status)`,
    );
    expect(status).toBe(403);

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
