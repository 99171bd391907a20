import { HatClient } from '@dataswift/hat-js';
import { decodeJwt } from 'jose';
import type { Page } from '@playwright/test';
import { notablesManifest } from '../test/support/manifests.js';
import { STRONG_PASSWORD } from '../test/support/server.js';
import { expect, test, type ClusterFixture } from './fixtures.js';
import { startHatJsWebsite, type HatJsWebsite } from './hat-js-website.js';

/*
 * The HAT JavaScript SDK's login URL (`<hat>/#/hatlogin?name=&redirect=&fallback=`, SPEC 6.8) in
 * Chromium, for an application registered as a HAT manifest; then the SDK itself, in the
 * website's page, with the token it got.
 */

let website: HatJsWebsite;
test.beforeAll(async () => {
  website = await startHatJsWebsite();
});
test.afterAll(async () => {
  await website.close();
});

/** Registers Notables (once per worker) with the website's redirect and fallback URLs. */
async function registerNotables(cluster: ClusterFixture): Promise<void> {
  if (await cluster.server.services.registry.find('notables')) return;
  const manifest = notablesManifest();
  manifest.setup.validRedirectUris = [`${website.origin}/authenticate`, `${website.origin}/failed`];
  await cluster.server.services.registry.create(manifest);
}

/** What `generateHatLoginUrl` gives a website for this HAT. */
function sdkLoginUrl(cluster: ClusterFixture, hat: string): string {
  return new HatClient({}).auth().generateHatLoginUrl(cluster.hatUrl(hat), 'notables', `${website.origin}/authenticate`, `${website.origin}/failed`);
}

async function logIn(page: Page, cluster: ClusterFixture, hat: string): Promise<void> {
  await page.goto(sdkLoginUrl(cluster, hat));
  await expect(page).toHaveURL(new RegExp(`^${cluster.hatUrl(hat)}/hatlogin\\?name=notables&`));
  await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Allow Notables to use your HAT?');
}

test.describe('The HAT JavaScript SDK', () => {
  test("its login URL reaches the approval page, which shows the manifest; approving gives the website a token its SDK uses", async ({ page, cluster }) => {
    await cluster.server.createHat('sdkuser');
    await registerNotables(cluster);
    // The manifest's logo, served from its https origin; the page's CSP must let exactly that in.
    const LOGO_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await page.route('https://notables.example.com/logo.png', (route) =>
      route.fulfill({ status: 200, contentType: 'image/png', body: Buffer.from(LOGO_PNG, 'base64') }),
    );
    await logIn(page, cluster, 'sdkuser');

    const about = page.locator('.app-about');
    await expect(about).toContainText('All your words');
    await expect(about).toContainText('Notables keeps your short notes on your own HAT.');
    await expect(about).toContainText('HATDeX');
    await expect(about).toContainText('Your notes are read to show them back to you, and nothing else.');
    await expect(about.getByRole('link', { name: /terms/i })).toHaveAttribute('href', 'https://notables.example.com/terms');
    const logo = about.locator('img');
    await expect(logo).toHaveAttribute('src', 'https://notables.example.com/logo.png');
    await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    const permissions = page.getByRole('list', { name: 'It asks for' }).getByRole('listitem');
    await expect(permissions).toHaveCount(1);
    await expect(permissions.first()).toContainText('rumpel');
    await expect(permissions.first()).toContainText('read and write');

    await page.getByRole('button', { name: 'Allow and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Back at Notables');
    const token = new URL(page.url()).searchParams.get('token')!;
    expect(decodeJwt(token)).toMatchObject({ accessScope: 'application', application: 'notables', iss: cluster.server.hatHost('sdkuser') });

    // The SDK, in the website's page, with that token: a cross-origin write and read on the HAT.
    const result = page.locator('#result[data-done="yes"]');
    await expect(result).not.toHaveText(/SDK error/);
    const shown = JSON.parse((await result.textContent())!);
    expect(shown.hat).toBe(cluster.hatUrl('sdkuser'));
    expect(shown.created).toMatchObject({ endpoint: 'rumpel/notablesv1', data: { message: 'written by the SDK in the browser' } });
    expect(shown.read[0].recordId).toBe(shown.created.recordId);
  });

  test('denying sends the person to the fallback with error=access_denied', async ({ page, cluster }) => {
    await cluster.server.createHat('sdkdeny');
    await registerNotables(cluster);
    await logIn(page, cluster, 'sdkdeny');
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Not logged in');
    const back = new URL(page.url());
    expect(`${back.origin}${back.pathname}`).toBe(`${website.origin}/failed`);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('token')).toBeNull();
  });

  test('with scripts off, the page at its login URL says how to continue', async ({ browser, cluster }) => {
    await cluster.server.createHat('noscript');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(sdkLoginUrl(cluster, 'noscript'));
    await expect(page.getByText(/replace .*\/#\/hatlogin.* with .*\/hatlogin/i)).toBeVisible();
    await context.close();
  });
});
