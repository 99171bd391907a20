import type { RunningDemo } from '../demo/server.js';
import { expect, test } from './fixtures.js';
import { startRegisteredOidcDemo } from './oidc-demo.js';
import { record } from './page-check.js';

const PASSWORD = 'correct horse battery staple';

/**
 * SPEC 12 in a real browser: the demo website in its OpenID Connect mode (openid-client) sends
 * Chromium to the HAT, which shows our login and consent pages, and the site ends up with an
 * ID token and userinfo; then the owner revokes it on the dashboard.
 */
test.describe('Log in with HAT through OpenID Connect', () => {
  let site: RunningDemo;

  test.beforeAll(async ({ cluster }) => {
    await cluster.server.createHat('oscar');
    site = await startRegisteredOidcDemo(cluster.server, { name: 'HAT Login Demo', description: 'The demo website, logging in with openid-client' });
  });
  test.afterAll(async () => site?.close());

  test('login, consent, back at the openid-client site; the dashboard revokes it', async ({ page, cluster }, testInfo) => {
    const hat = cluster.server.hatHost('oscar');
    await page.goto(site.url);
    await page.getByLabel('Your HAT address').fill(hat);
    await page.getByRole('button', { name: 'Log in with HAT' }).click();

    await expect(page.getByRole('heading', { name: 'Log in to your HAT' })).toBeVisible();
    await expect(page.locator('.facts')).toContainText('HAT Login Demo');
    await page.getByLabel('Your HAT password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();

    await expect(page.getByRole('heading', { name: /Allow HAT Login Demo to use your HAT/ })).toBeVisible();
    await expect(page.locator('ul.permissions')).toContainText('Your email address');
    await page.getByRole('button', { name: 'Allow and continue' }).click();

    await expect(page).toHaveURL(new RegExp(`^${site.url}/callback`));
    await expect(page.getByRole('heading', { name: `You are logged in as ${hat}` })).toBeVisible();
    await expect(page.locator('#email')).toHaveText('oscar@example.com');

    await page.goto(`http://${hat}/`);
    const grant = page.locator('#oauth .oauth-grant');
    await expect(grant).toContainText('HAT Login Demo');
    await grant.getByRole('link', { name: /Revoke/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Revoke /);
    await record(page, testInfo, 'revoke-confirm-oauth');
    await page.getByRole('button', { name: /^Revoke/ }).click();
    await expect(page.getByRole('status')).toContainText('no longer has access');
    await expect(page.locator('#oauth')).toContainText('None yet');

    // Logged in still, approval gone: the site has to ask again.
    await page.goto(site.url);
    await page.getByLabel('Your HAT address').fill(hat);
    await page.getByRole('button', { name: 'Log in with HAT' }).click();
    await expect(page.getByRole('heading', { name: /Allow HAT Login Demo to use your HAT/ })).toBeVisible();
  });
});
