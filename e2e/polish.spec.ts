import type { Page } from '@playwright/test';
import { startTestServer, STRONG_PASSWORD } from '../test/support/server.js';
import { expect, registration, registrationFor, test, type ClusterFixture } from './fixtures.js';
import { record } from './page-check.js';

/**
 * Issue 12's smaller page behaviours, as Chromium shows them: focus goes to the error summary
 * after a failed form; an application that asks for more marks what is new; the dashboard is
 * compact on a phone; times are shown in the owner's own clock.
 */

const SERVICE = 'http://service.localhost:9';

/** The service's side of a login: a page that says the browser is back. */
async function fakeService(page: Page): Promise<void> {
  await page.route(`${SERVICE}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Service</title><h1>Back at the service</h1>' }),
  );
}

/** Registers (or replaces) an application through the operator's API. */
async function register(cluster: ClusterFixture, body: Record<string, unknown>, replace = false): Promise<void> {
  const reply = await cluster.server.call(null, replace ? `/api/admin/applications/${String(body.id)}` : '/api/admin/applications', {
    method: replace ? 'PUT' : 'POST',
    headers: { authorization: `Bearer ${cluster.server.config.adminToken}` },
    body,
  });
  expect(reply.status, reply.text).toBe(replace ? 200 : 201);
}

test.describe('a form shown again with its problems', () => {
  test('focus moves to the error summary after a failed sign-up', async ({ page, cluster }) => {
    await page.goto(cluster.clusterUrl + '/signup');
    await page.getByLabel('HAT name').fill('Bad_Name');
    await page.getByLabel('Email').fill('not-an-address');
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    const summary = page.locator('.error-summary');
    await expect(summary).toContainText('Please correct these');
    await expect(summary).toBeFocused();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    // From the summary, the keyboard goes on to its first link.
    await page.keyboard.press('Tab');
    await expect(summary.getByRole('link').first()).toBeFocused();
  });

  test('and on the dashboard\'s password and email pages', async ({ page, cluster }) => {
    await cluster.server.createHat('fiona');
    await page.goto(cluster.hatUrl('fiona') + '/');
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.goto(cluster.hatUrl('fiona') + '/dashboard/password');
    await page.getByLabel('Current password').fill(STRONG_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.locator('.error-summary')).toContainText('Your password was not changed');
    await expect(page.locator('.error-summary')).toBeFocused();
    await page.goto(cluster.hatUrl('fiona') + '/dashboard/email');
    await page.getByLabel('New email address').fill('not-an-address');
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Send the confirmation link' }).click();
    await expect(page.locator('.error-summary')).toContainText('Your address was not changed');
    await expect(page.locator('.error-summary')).toBeFocused();
  });

  test('without scripts the summary is still shown, focusable, and nothing moves focus', async ({ browser, cluster }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(cluster.clusterUrl + '/signup');
    await page.getByLabel('HAT name').fill('Bad_Name');
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    await expect(page.locator('.error-summary')).toContainText('Please correct');
    await expect(page.locator('.error-summary')).toHaveAttribute('tabindex', '-1');
    await expect(page.locator('.error-summary')).not.toBeFocused();
    await context.close();
  });
});

test.describe('an application that asks for more (issue 12)', () => {
  test('the approval page marks what is added "New" and the rest "already allowed"', async ({ page, cluster }, testInfo) => {
    await cluster.server.createHat('polly');
    await fakeService(page);
    const app = { id: 'journal', name: 'Journal', redirectUris: [`${SERVICE}/journal`], permissions: [{ namespace: 'profile', access: 'read' as const }] };
    await register(cluster, registration(app));
    const flow = `${cluster.hatUrl('polly')}/hatlogin?name=journal&redirect=${encodeURIComponent(`${SERVICE}/journal`)}`;

    await page.goto(flow);
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.locator('.permission-text')).toHaveText(['See your profile data']);
    await expect(page.locator('.mark'), 'a first request marks nothing').toHaveCount(0);
    await page.getByRole('button', { name: 'Allow and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Back at the service');

    // Its registration grows: the owner is asked again, and sees what is new.
    await register(cluster, registration({ ...app, version: '2.0.0', permissions: [...app.permissions, { namespace: 'journal', access: 'write' }] }), true);
    await page.goto(flow);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Allow Journal to use your HAT?');
    const lines = page.locator('.permissions .permission');
    await expect(lines).toHaveCount(2);
    await expect(lines.nth(0).locator('.permission-text')).toHaveText('See, add and change your journal data');
    await expect(lines.nth(0).locator('.mark')).toHaveText('New');
    await expect(lines.nth(1).locator('.permission-text')).toHaveText('See your profile data');
    await expect(lines.nth(1).locator('.mark')).toHaveText('already allowed');
    await expect(page.getByText('it now asks for more')).toBeVisible();
    await record(page, testInfo, 'hatlogin-approve-reconsent');
  });
});

/**
 * A HAT as people have them after a while: two applications and two websites with access, one
 * more application to enable, and 22 entries of activity of every common kind.
 */
async function livedInHat(cluster: ClusterFixture, name: string): Promise<void> {
  const { server } = cluster;
  await server.createHat(name);
  const hat = (await server.services.hats.find(name))!;
  for (const id of ['diary', 'steps', 'recipes']) {
    const reply = await server.call(null, '/api/admin/applications', {
      method: 'POST',
      headers: { authorization: `Bearer ${server.config.adminToken}` },
      body: registrationFor(id, [{ namespace: id, access: 'write' }, { namespace: 'profile', access: 'read' }]),
    });
    expect([201, 409]).toContain(reply.status);
  }
  await server.services.applications.enable(hat, 'diary', { via: 'dashboard' });
  await server.services.applications.enable(hat, 'steps', { via: 'dashboard' });
  await server.services.approvals.approve(name, 'Corner Shop', 'https://shop.example.com');
  await server.services.approvals.approve(name, 'Book Club', 'https://books.example.org');
  const kinds = [
    { type: 'login', via: 'dashboard' },
    { type: 'approval', via: 'hatlogin', service: 'Corner Shop', redirectHost: 'shop.example.com', detail: 'approved' },
    { type: 'login_failed', via: 'hatlogin', service: 'Book Club', redirectHost: 'books.example.org' },
    { type: 'application_enabled', via: 'dashboard', service: 'diary', redirectHost: 'diary.example.com', detail: 'consented to diary:write, profile:read (version 1.0.0)' },
    { type: 'approval', via: 'hatlogin', service: 'Book Club', redirectHost: 'books.example.org', detail: 'remembered' },
    { type: 'logout', via: 'dashboard' },
  ] as const;
  for (let i = 0; i < 20; i++) {
    await server.services.activity.record({ hat: name, clientIp: i % 3 ? '203.0.113.7' : '2001:db8:5:1::23', ...kinds[i % kinds.length]! });
  }
}

/** Logs in on the HAT's own login page (the dashboard's). */
async function logInToDashboard(page: Page, cluster: ClusterFixture, hat: string): Promise<void> {
  await page.goto(cluster.hatUrl(hat) + '/');
  await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();
}

test.describe('the dashboard on a phone (issue 12)', () => {
  // A server of this test's own: every application registered on a server shows on every HAT's
  // dashboard, so on the worker's shared server other specs' registrations would add to its height.
  let cluster: ClusterFixture;
  test.beforeAll(async () => {
    const server = await startTestServer();
    cluster = { server, hatUrl: (name) => `http://${server.hatHost(name)}`, clusterUrl: `http://${server.clusterHost}` };
  });
  test.afterAll(async () => cluster.server.stop());

  test('is compact at 390 px with several services and 24 activity entries: the newest 8, one line each, and a link to the rest', async ({ page }, testInfo) => {
    await livedInHat(cluster, 'phoebe');
    await page.setViewportSize({ width: 390, height: 844 });
    await logInToDashboard(page, cluster, 'phoebe');
    const rows = page.locator('#activity table.activity tbody tr');
    await expect(rows).toHaveCount(8);
    await expect(page.getByRole('link', { name: /^See all 2[0-9] entries$/ })).toHaveAttribute('href', '/activity');
    // One dense line per entry (two at most, for a long service name): no more labelled blocks.
    for (const height of await rows.evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height))) {
      expect(height).toBeLessThanOrEqual(100);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'no sideways scrolling').toBeLessThanOrEqual(0);
    // 7,882 px before (every entry a block of five labelled lines, 20 of them); 4,020 px after.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await testInfo.attach('dashboard-height-390', { body: `${height} px`, contentType: 'text/plain' });
    expect(height, 'the whole dashboard at 390 px').toBeLessThan(5000);
    const activity = await page.locator('#activity').evaluate((e) => e.getBoundingClientRect().height);
    expect(activity, 'the activity section at 390 px').toBeLessThan(1000);
    await record(page, testInfo, 'dashboard-compact');

    // The full log, a page at a time, equally compact.
    await page.getByRole('link', { name: /^See all 2[0-9] entries$/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Activity');
    await expect(page.locator('table.activity tbody tr')).toHaveCount(20);
    await expect(page.getByRole('link', { name: 'Older →' })).toHaveAttribute('href', '/activity?page=2');
    await record(page, testInfo, 'dashboard-activity');
  });
});

test.describe('times in the owner\'s own clock (issue 12)', () => {
  test('relative text, with the exact local time on hover', async ({ browser, cluster }) => {
    await cluster.server.createHat('tomoko');
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-US' });
    const page = await context.newPage();
    await logInToDashboard(page, cluster, 'tomoko');
    const newest = page.locator('table.activity tbody tr').first().locator('time');
    const iso = (await newest.getAttribute('datetime'))!;
    const at = new Date(iso).getTime();
    await expect(newest).toHaveClass(/js-local-time/);

    // The browser's clock two minutes later; then a day and a half later.
    await page.clock.install({ time: at + 2 * 60_000 + 5_000 });
    await page.reload();
    await expect(newest).toHaveText('2 minutes ago');
    const exact = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(new Date(at));
    await expect(newest).toHaveAttribute('title', exact);
    expect(exact, 'Tokyo time, named as such').toMatch(/GMT\+9/);
    await page.clock.setSystemTime(at + 30 * 3600_000);
    await page.clock.runFor(31_000);
    await expect(newest).toHaveText('yesterday');
    // Every time on the dashboard is one of these (last used, approved, activity).
    const times = page.locator('main time');
    expect(await times.count()).toBeGreaterThan(1);
    expect(await times.evaluateAll((ts) => ts.filter((t) => !t.classList.contains('js-local-time') || !t.getAttribute('title')).length)).toBe(0);
    await context.close();
  });

  test('without scripts, the exact UTC time stays', async ({ browser, cluster }) => {
    await cluster.server.createHat('utako');
    const context = await browser.newContext({ javaScriptEnabled: false, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    await logInToDashboard(page, cluster, 'utako');
    const newest = page.locator('table.activity tbody tr').first().locator('time');
    const iso = (await newest.getAttribute('datetime'))!;
    await expect(newest).toHaveText(`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);
    await expect(newest).not.toHaveAttribute('title', /./);
    await context.close();
  });
});
