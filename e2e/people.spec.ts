import path from 'node:path';
import Database from 'better-sqlite3';
import { test as base, expect, type Page } from '@playwright/test';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../test/support/server.js';
import { linkIn, SmtpPeer } from '../test/support/smtp.js';
import { registration } from './fixtures.js';
import { record } from './page-check.js';

/**
 * Issue 12's pages as a person meets them, in Chromium: the way back from the login page (Cancel,
 * Not your HAT?), a generic and a registered service's approval page, and recovery from the mail
 * (received by a real SMTP peer) to a new password, with an expired and a reused link. Every page
 * state is checked by axe-core and photographed at 1280 and 390 px (record, e2e/page-check.ts).
 */
const NEW_PASSWORD = 'violet kettle orbit pancake';
const SERVICE = 'http://service.localhost:9';

interface World {
  server: TestServer;
  smtp: SmtpPeer;
  hatUrl(name: string): string;
  clusterUrl: string;
}

/** A server whose mail goes to a real SMTP peer, one per worker. */
const test = base.extend<{}, { world: World }>({
  world: [
    async ({}, use) => {
      const smtp = await SmtpPeer.start();
      const server = await startTestServer({ SMTP_URL: smtp.url });
      await use({ server, smtp, hatUrl: (n) => `http://${server.hatHost(n)}`, clusterUrl: `http://${server.clusterHost}` });
      await server.stop();
      await smtp.stop();
    },
    { scope: 'worker' },
  ],
});

async function fakeService(page: Page): Promise<void> {
  await page.route(`${SERVICE}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Service</title><h1>Back at the service</h1>' }),
  );
}

function loginUrl(world: World, hat: string, name: string, redirect = `${SERVICE}/callback?state=s1`): string {
  return `${world.hatUrl(hat)}/hatlogin?name=${encodeURIComponent(name)}&redirect=${encodeURIComponent(redirect)}`;
}

test.describe('the login page has a way back (SPEC 6.3)', () => {
  test('Cancel returns to the service with error=access_denied; the website leads, before the password', async ({ page, world }, testInfo) => {
    await world.server.createHat('carla');
    await fakeService(page);
    await page.goto(loginUrl(world, 'carla', 'Totally Official Bank'));
    const facts = page.locator('dl.facts');
    await expect(facts).toContainText('Not registered on this server');
    await expect(facts).toContainText('“Totally Official Bank”');
    // Reading order: which website is asking comes before the password field.
    const order = await page.evaluate(() => {
      const all = [...document.querySelectorAll('dl.facts, #password')];
      return all.map((e) => e.tagName);
    });
    expect(order).toEqual(['DL', 'INPUT']);
    await record(page, testInfo, 'login-generic');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect(page).toHaveURL(`${SERVICE}/callback?state=s1&error=access_denied`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Back at the service');
  });

  test('"Not your HAT?" leads to the cluster\'s "go to my HAT"', async ({ page, world }) => {
    await world.server.createHat('dora');
    await page.goto(loginUrl(world, 'dora', 'Some site'));
    await page.getByRole('link', { name: 'Not your HAT?' }).click();
    await expect(page).toHaveURL(`${world.clusterUrl}/#go`);
    await expect(page.getByRole('heading', { name: 'Go to my HAT' })).toBeVisible();
  });
});

test.describe('approval pages (SPEC 6.4, 6.9)', () => {
  test('a generic service: its host first, its own name marked as such, a neutral tag', async ({ page, world }, testInfo) => {
    await world.server.createHat('emil');
    await fakeService(page);
    await page.goto(loginUrl(world, 'emil', 'My Shop', 'http://login.shop.service.localhost:9/cb'));
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Continue to');
    await expect(page.getByRole('heading', { level: 1 })).toContainText('login.shop.service.localhost');
    await expect(page.locator('.lead')).toContainText('Not registered on this server');
    await expect(page.getByText('“My Shop”')).toBeVisible();
    await record(page, testInfo, 'approve-generic');
  });

  test('a registered application: its name, plain permissions, write first', async ({ page, world }, testInfo) => {
    await world.server.createHat('fritz');
    const created = await world.server.call(null, '/api/admin/applications', {
      method: 'POST',
      headers: { authorization: `Bearer ${world.server.config.adminToken}` },
      body: registration({
        id: 'diary',
        name: 'Daily Diary',
        redirectUris: [`${SERVICE}/diary`],
        permissions: [
          { namespace: 'profile', access: 'read' },
          { namespace: 'diary', access: 'write' },
        ],
      }),
    });
    expect(created.status, created.text).toBe(201);
    await page.goto(loginUrl(world, 'fritz', 'diary', `${SERVICE}/diary`));
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Allow Daily Diary to use your HAT?');
    await expect(page.locator('.tag').first()).toHaveText('Registered on this server');
    await expect(page.locator('.permission-text')).toHaveText(['See, add and change your diary data', 'See your profile data']);
    await record(page, testInfo, 'approve-registered');
  });
});

test.describe('account recovery from the mail (SPEC 13)', () => {
  test('Forgot password? → the mail → a new password; the link then no longer works', async ({ page, world }, testInfo) => {
    await world.server.createHat('gerd');
    await page.goto(`${world.hatUrl('gerd')}/`);
    await record(page, testInfo, 'dashboard-login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await expect(page.getByLabel('HAT name or email')).toHaveValue('gerd');
    await record(page, testInfo, 'recover-request');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your mail');
    await record(page, testInfo, 'recover-sent');

    const link = linkIn(await world.smtp.mailTo('gerd@example.com', /Reset the password/), '/recover/reset?token=');
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose a new password');
    await record(page, testInfo, 'recover-reset');
    // The show-password toggle (a script from public/) reveals what was typed.
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Show password' }).first().click();
    await expect(page.getByLabel('New password', { exact: true })).toHaveAttribute('type', 'text');
    await page.getByLabel('Repeat the new password').fill('something else entirely 42');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expect(page.locator('.error-summary')).toContainText('does not match');
    await record(page, testInfo, 'recover-reset-error');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expect(page.locator('.alert.ok')).toContainText('Your new password is set');

    await page.getByLabel('Your HAT password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Log out', exact: true })).toBeVisible();

    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link no longer works');
    await record(page, testInfo, 'recover-gone');
  });

  test('an expired link is refused, and offers a new one', async ({ page, world }) => {
    await world.server.createHat('hanna');
    await page.goto(`${world.clusterUrl}/recover`);
    await page.getByLabel('HAT name or email').fill('hanna@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your mail');
    const link = linkIn(await world.smtp.mailTo('hanna@example.com', /Reset the password/), '/recover/reset?token=');
    // Thirty minutes pass.
    const db = new Database(path.join(world.server.dataDir, 'hat.sqlite'));
    try {
      db.prepare('UPDATE resets SET expires_at = ? WHERE hat = ?').run(Date.now() - 1, 'hanna');
    } finally {
      db.close();
    }
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link no longer works');
    await page.getByRole('link', { name: 'Send me a new link' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Forgot your password?');
  });

  test('an error page for people: one sentence, what next, a link, details folded', async ({ page, world }, testInfo) => {
    await world.server.createHat('ida');
    await page.goto(`${world.hatUrl('ida')}/settings`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('We could not find that page.');
    await expect(page.getByRole('link', { name: "Go to your HAT's dashboard" })).toBeVisible();
    await expect(page.locator('details.technical')).not.toHaveAttribute('open', '');
    await record(page, testInfo, 'error-404');
  });
});
