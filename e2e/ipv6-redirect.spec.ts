import type { Page } from '@playwright/test';
import { startDemo, type RunningDemo } from '../demo/server.js';
import { STRONG_PASSWORD } from '../test/support/server.js';
import { expect, test } from './fixtures.js';
import { startRegisteredOidcDemo } from './oidc-demo.js';
import { record } from './page-check.js';

/*
 * Issue 11, finding 9: a website on the IPv6 loopback (`http://[::1]:<port>`, allowed by SPEC
 * 6.1). CSP cannot name an IPv6 literal in `form-action`, and Chromium checks form-action on the
 * redirects that follow a form post, so a direct 303 from our Approve/Deny/login forms to such a
 * website is blocked. These tests drive real Chromium to a real website listening on [::1].
 */

/** On the demo website: type the HAT address and press "Log in with HAT". */
async function startAt(page: Page, site: RunningDemo, address: string): Promise<void> {
  await page.goto(site.url);
  await page.getByLabel('Your HAT address').fill(address);
  await page.getByRole('button', { name: 'Log in with HAT' }).click();
}

/** What a page's navigations went through: our hop pages, and any CSP complaint on the console. */
function watch(page: Page): { hops: string[]; csp: string[] } {
  const seen = { hops: [] as string[], csp: [] as string[] };
  page.on('request', (r) => {
    if (r.isNavigationRequest() && new URL(r.url()).pathname.startsWith('/continue/')) seen.hops.push(r.url());
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.csp.push(m.text());
  });
  return seen;
}

async function enterPassword(page: Page): Promise<void> {
  await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test.describe('A website on http://[::1]', () => {
  let site: RunningDemo;
  test.beforeAll(async () => {
    site = await startDemo({ port: 0, host: '::1', hatDomain: 'hat.localhost' });
    expect(site.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
  });
  test.afterAll(async () => site?.close());

  test('login and Approve bring the person back with a token that validates', async ({ page, cluster }) => {
    await cluster.server.createHat('ivy');
    const address = cluster.server.hatHost('ivy');
    const seen = watch(page);
    await startAt(page, site, address);
    await expect(page.locator('dl.facts')).toContainText('[::1]');
    await enterPassword(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Continue to \[::1\]:\d+\?$/);
    await page.getByRole('button', { name: 'Approve and continue' }).click();

    await expect(page).toHaveURL(new RegExp(`^http://\\[::1\\]:${site.port}/callback\\?token=`));
    // The website checked the token against the HAT's /publickey, its issuer and its resource.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);
    const token = new URL(page.url()).searchParams.get('token')!;
    const validated = await cluster.server.call('ivy', '/users/access_token/validate', { headers: { 'x-auth-token': token } });
    expect(validated.status).toBe(200);
    // Through one hop page of ours, whose address carries no token; nothing was blocked.
    expect(seen.hops).toHaveLength(1);
    expect(seen.hops[0]).toMatch(/^http:\/\/ivy\.hat\.localhost:\d+\/continue\/[A-Za-z0-9_-]+$/);
    expect(seen.csp).toEqual([]);
  });

  test('a remembered approval goes straight back after the login form', async ({ page, browser, cluster }) => {
    await cluster.server.createHat('ivo');
    const address = cluster.server.hatHost('ivo');
    await startAt(page, site, address);
    await enterPassword(page);
    await page.getByRole('button', { name: 'Approve and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);

    const other = await browser.newContext();
    const second = await other.newPage();
    await startAt(second, site, address);
    await enterPassword(second);
    await expect(second).toHaveURL(new RegExp(`^http://\\[::1\\]:${site.port}/callback\\?token=`));
    await expect(second.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);
    await other.close();
  });

  test('Deny brings the person back with error=access_denied, by the link when the refresh does not happen', async ({ page, cluster }, testInfo) => {
    await cluster.server.createHat('ida');
    // A browser that ignores the meta refresh: the hop page's link is the way on. (Playwright
    // routes no redirected request, so the form's answer and its hop are fetched here, by hand,
    // with the browser's cookies.)
    await page.route(/\/hatlogin\/deny$/, async (route) => {
      const cookie = (await route.request().allHeaders()).cookie ?? '';
      const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
      const answer = await cluster.server.call('ida', '/hatlogin/deny', { method: 'POST', headers: form, body: route.request().postData() ?? '' });
      expect(answer.status).toBe(303);
      const hop = await cluster.server.call('ida', answer.headers.location!, { headers: { cookie } });
      const body = hop.text.replace(/<meta http-equiv="refresh"[^>]*>/, '');
      expect(body).not.toBe(hop.text);
      await route.fulfill({ status: 200, contentType: 'text/html', headers: { 'content-security-policy': String(hop.headers['content-security-policy']) }, body });
    });
    await startAt(page, site, cluster.server.hatHost('ida'));
    await enterPassword(page);
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Continue to [::1]:${site.port}`);
    await record(page, testInfo, 'continue-hop');
    await page.getByRole('link', { name: `Continue to [::1]:${site.port}` }).click();
    await expect(page).toHaveURL(`${site.url}/callback?error=access_denied`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You did not approve this site');
  });

  test('Cancel on the login page brings the person back with error=access_denied', async ({ page, cluster }) => {
    await cluster.server.createHat('ian');
    await startAt(page, site, cluster.server.hatHost('ian'));
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect(page).toHaveURL(`${site.url}/callback?error=access_denied`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You did not approve this site');
  });
});

test.describe('An OpenID Connect website on http://[::1]', () => {
  let site: RunningDemo;
  const clientId = 'ipv6-oidc-demo';
  test.beforeAll(async ({ cluster }) => {
    site = await startRegisteredOidcDemo(cluster.server, { clientId, host: '::1', name: 'IPv6 Demo', description: 'The OpenID Connect demo on the IPv6 loopback' });
  });
  test.afterAll(async () => site?.close());

  test('login and consent end at the website with an ID token; the next login goes straight back', async ({ page, browser, cluster }) => {
    await cluster.server.createHat('olive');
    const hat = cluster.server.hatHost('olive');
    await startAt(page, site, hat);
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { name: /Allow IPv6 Demo to use your HAT/ })).toBeVisible();
    await page.getByRole('button', { name: 'Allow and continue' }).click();
    await expect(page).toHaveURL(new RegExp(`^http://\\[::1\\]:${site.port}/callback`));
    await expect(page.getByRole('heading', { name: `You are logged in as ${hat}` })).toBeVisible();

    // Consent given: in another browser the login form itself ends at the website.
    const other = await browser.newContext();
    const second = await other.newPage();
    await startAt(second, site, hat);
    await second.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await second.getByRole('button', { name: 'Log in' }).click();
    await expect(second).toHaveURL(new RegExp(`^http://\\[::1\\]:${site.port}/callback`));
    await expect(second.getByRole('heading', { name: `You are logged in as ${hat}` })).toBeVisible();
    await other.close();
  });

  test('Deny on the consent page, and Cancel on the login page, end at the website with access_denied', async ({ page, cluster }) => {
    await cluster.server.createHat('otto');
    const hat = cluster.server.hatHost('otto');
    await startAt(page, site, hat);
    await page.getByRole('button', { name: 'Cancel and go back to the website' }).click();
    await expect(page).toHaveURL(new RegExp(`^http://\\[::1\\]:${site.port}/callback\\?.*error=access_denied`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You did not approve this site');

    await startAt(page, site, hat);
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect(page).toHaveURL(new RegExp(`^http://\\[::1\\]:${site.port}/callback\\?.*error=access_denied`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You did not approve this site');
  });
});
