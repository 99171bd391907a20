import type { Page } from '@playwright/test';
import { STRONG_PASSWORD } from '../test/support/server.js';
import { expect, registration, test, type ClusterFixture } from './fixtures.js';
import { record } from './page-check.js';

/**
 * Issue 12's smaller page behaviours, as Chromium shows them: focus goes to the error summary
 * after a failed form; an application that asks for more marks what is new.
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
