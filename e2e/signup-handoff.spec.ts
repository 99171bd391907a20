import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { record } from './page-check.js';

const PASSWORD = 'copper meadow lantern okapi';

async function signUp(page: Page, clusterUrl: string, name: string): Promise<void> {
  await page.goto(clusterUrl + '/signup');
  await page.getByLabel('Full name').fill('Hana Ito');
  await page.getByLabel('HAT name').fill(name);
  await page.getByLabel('Email').fill(`${name}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create my HAT' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your HAT is ready');
}

test.describe('Sign-up ends logged in on the new HAT (issue 12)', () => {
  test('ready → "Continue as <HAT>?" → the dashboard, logged in; the spent secret leads to the login page; a reload offers no second one', async ({ page, cluster }, testInfo) => {
    const address = cluster.server.hatHost('ho-hana');
    await signUp(page, cluster.clusterUrl, 'ho-hana');

    // A copy of the ready page's form in a second tab, to post the secret again once it is spent.
    const earlier = await page.context().newPage();
    await earlier.setContent(await page.content());
    await page.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Continue as ${address}?`);
    await expect(page).toHaveURL(cluster.hatUrl('ho-hana') + '/signup/welcome');
    await record(page, testInfo, 'signup-handoff-welcome');
    await page.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
    await expect(page.getByRole('status')).toContainText('Welcome to your HAT. You are logged in');
    const log = page.getByRole('table');
    await expect(log.getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText(/Logged in/);
    await expect(log.getByRole('row').nth(1)).toContainText('Sign-up');
    expect(page.url(), 'the secret never travels in an address').not.toContain('code');

    // The spent secret, posted again: a page that leads to the login page.
    await earlier.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(earlier.getByRole('heading', { level: 1 })).toHaveText('Please log in with your password');
    await record(earlier, testInfo, 'signup-handoff-gone');
    await earlier.getByRole('link', { name: 'Log in to your HAT' }).click();
    await expect(earlier.getByRole('heading', { level: 1 })).toHaveText(address, { timeout: 10_000 });

    // The ready page again (back, or a reload): only a link to the HAT, no second way in.
    await page.goto(cluster.clusterUrl + '/signup/ready');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your HAT is ready');
    await expect(page.getByRole('link', { name: 'Go to my HAT' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Go to my dashboard' })).toHaveCount(0);
  });

  test.describe('without scripts', () => {
    test.use({ javaScriptEnabled: false });
    test('the same two clicks work with scripts off', async ({ page, cluster }) => {
      const address = cluster.server.hatHost('ho-noscript');
      await signUp(page, cluster.clusterUrl, 'ho-noscript');
      await page.getByRole('button', { name: 'Go to my dashboard' }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Continue as ${address}?`);
      await page.getByRole('button', { name: 'Go to my dashboard' }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
    });
  });
});
