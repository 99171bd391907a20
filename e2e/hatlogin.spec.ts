import { decodeJwt } from 'jose';
import type { Page } from '@playwright/test';
import { STRONG_PASSWORD } from '../test/support/server.js';
import { expect, registration, test } from './fixtures.js';
import { record } from './page-check.js';

/** The address a person types into the demo: `alice.hat.localhost:<port>`. */
function addressOf(cluster: { server: { hatHost(name: string): string } }, hat: string): string {
  return cluster.server.hatHost(hat);
}

function flowUrl(hatUrl: string, name: string, redirect: string): string {
  return `${hatUrl}/hatlogin?name=${encodeURIComponent(name)}&redirect=${encodeURIComponent(redirect)}`;
}

/** On the demo website: type the HAT address and press "Log in with HAT". */
async function startAtDemo(page: Page, demoUrl: string, address: string): Promise<void> {
  await page.goto(demoUrl);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in with your HAT');
  await page.getByLabel('Your HAT address').fill(address);
  await page.getByRole('button', { name: 'Log in with HAT' }).click();
}

async function enterPassword(page: Page, password = STRONG_PASSWORD): Promise<void> {
  await page.getByLabel('Your HAT password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Tabs through the page until `name` has the focus, as a keyboard user would. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    if (focused === name) return;
  }
  throw new Error(`"${name}" never got the keyboard focus`);
}

/** Answers requests to a service's https host inside the browser, so its redirect URL can be real-looking. */
async function fakeService(page: Page, origin: string): Promise<void> {
  await page.route(`${origin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Service</title><h1>Back at the service</h1>' }),
  );
}

test.describe('Log in with HAT through the demo website', () => {
  test('a newcomer logs in with their HAT, approves the website and comes back logged in', async ({ page, cluster, demo }, testInfo) => {
    await cluster.server.createHat('alice');
    const address = addressOf(cluster, 'alice');
    await startAtDemo(page, demo.url, address);

    await expect(page).toHaveURL(new RegExp(`^${cluster.hatUrl('alice')}/hatlogin\\?`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in to your HAT');
    await expect(page.locator('.lead')).toContainText('The website at localhost');
    await expect(page.locator('dl.facts')).toContainText('“HAT Login Demo”');
    const facts = page.locator('dl.facts');
    await expect(facts).toContainText(address);
    await expect(facts.locator('.host-domain')).toHaveText('localhost');
    await expect(facts.locator('.host-port')).toHaveText(`:${demo.port}`);
    await expect(page.getByLabel('Your HAT password')).toBeFocused();

    // Keyboard alone: the password field has the focus, Enter submits.
    await page.keyboard.type(STRONG_PASSWORD);
    await page.keyboard.press('Enter');

    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Continue to localhost:\d+\?$/);
    await expect(page.locator('#approve-summary')).toHaveText(
      new RegExp(`The website at localhost:${demo.port}\\s*Not registered on this server\\s*will learn that you own ${address.replace(/\./g, '\\.')}\\.`),
    );
    await expect(page.getByText(`${demo.url}/callback`)).toBeVisible();

    await tabTo(page, 'Approve and continue');
    await page.keyboard.press('Enter');

    await expect(page).toHaveURL(new RegExp(`^${demo.url}/callback\\?token=`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);
    await expect(page.locator('#scope')).toHaveText('validate');
    await record(page, testInfo, 'demo-logged-in');
  });

  test('denying sends the person back to the website with access_denied', async ({ page, cluster, demo }) => {
    await cluster.server.createHat('dora');
    await startAtDemo(page, demo.url, addressOf(cluster, 'dora'));
    await enterPassword(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Continue to localhost:\d+\?$/);
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect(page).toHaveURL(`${demo.url}/callback?error=access_denied`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('You did not approve this site');
  });

  test('a wrong password shows a clear message, and the right one then goes on', async ({ page, cluster, demo }) => {
    await cluster.server.createHat('wendy');
    await startAtDemo(page, demo.url, addressOf(cluster, 'wendy'));
    await enterPassword(page, 'this is not my password');
    const alert = page.getByRole('alert');
    await expect(alert).toHaveText('That password is not right. Please try again.');
    await expect(page.getByLabel('Your HAT password')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Your HAT password')).toHaveValue('');
    await enterPassword(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Continue to localhost:\d+\?$/);
  });

  test('a remembered approval skips the approval page on the next login', async ({ page, browser, cluster, demo }) => {
    await cluster.server.createHat('remy');
    const address = addressOf(cluster, 'remy');
    await startAtDemo(page, demo.url, address);
    await enterPassword(page);
    await page.getByRole('button', { name: 'Approve and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);

    // Another browser: the password again, but no approval page.
    const other = await browser.newContext();
    const second = await other.newPage();
    const approvalPages: string[] = [];
    second.on('response', (r) => {
      if (r.url().includes('/hatlogin?') && r.status() === 200 && r.request().method() === 'GET') approvalPages.push(r.url());
    });
    await startAtDemo(second, demo.url, address);
    await expect(second.getByRole('heading', { level: 1 })).toHaveText('Log in to your HAT');
    approvalPages.length = 0; // the login page itself
    await enterPassword(second);
    await expect(second).toHaveURL(new RegExp(`^${demo.url}/callback\\?token=`));
    await expect(second.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);
    expect(approvalPages, 'no approval page was shown').toEqual([]);
    await other.close();
  });
});

test.describe('Approved applications', () => {
  test("shows an approved application's permissions, and sends the person back with an application token", async ({ page, cluster }) => {
    await cluster.server.createHat('petra');
    await cluster.server.services.registry.create(
      registration({
        id: 'journal-e2e',
        name: 'Journal',
        description: 'A private journal that keeps every entry on your own HAT.',
        homepage: 'https://journal.example.com',
        version: '2.0.0',
        redirectUris: ['https://journal.example.com/auth/hat'],
        permissions: [
          { namespace: 'journal', access: 'write' },
          { namespace: 'profile', access: 'read' },
        ],
      }),
    );
    await fakeService(page, 'https://journal.example.com');
    await page.goto(flowUrl(cluster.hatUrl('petra'), 'journal-e2e', 'https://journal.example.com/auth/hat?next=%2Ftoday'));
    await expect(page.locator('dl.facts')).toContainText('Registered on this server');
    await enterPassword(page);

    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Allow Journal to use your HAT?');
    await expect(page.getByText('A private journal that keeps every entry on your own HAT.')).toBeVisible();
    const permissions = page.getByRole('list', { name: 'It asks for' }).getByRole('listitem');
    await expect(permissions).toHaveCount(2);
    await expect(permissions.nth(0)).toContainText('journal');
    await expect(permissions.nth(0)).toContainText('read and write');
    await expect(permissions.nth(1)).toContainText('profile');
    await expect(permissions.nth(1)).toContainText('read only');

    await page.getByRole('button', { name: 'Allow and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Back at the service');
    const back = new URL(page.url());
    expect(`${back.origin}${back.pathname}`).toBe('https://journal.example.com/auth/hat');
    expect(back.searchParams.get('next')).toBe('/today');
    const claims = decodeJwt(back.searchParams.get('token')!);
    expect(claims).toMatchObject({ accessScope: 'application', application: 'journal-e2e', iss: addressOf(cluster, 'petra') });
  });
});

test.describe('Hostile requests end on the HAT', () => {
  test('an invalid or suspicious redirect gets an error page on the HAT and is never followed', async ({ page, cluster }) => {
    await cluster.server.createHat('hostile');
    await cluster.server.services.registry.create(
      registration({
        id: 'trusted-e2e',
        name: 'Trusted',
        description: '',
        homepage: '',
        version: '1',
        redirectUris: ['https://trusted.example.com/cb'],
        permissions: [{ namespace: 'notes', access: 'read' }],
      }),
    );
    const followed: string[] = [];
    await page.route((url) => url.hostname.includes('evil.example'), (route) => {
      followed.push(route.request().url());
      return route.fulfill({ status: 200, body: 'evil' });
    });
    const hat = cluster.hatUrl('hostile');
    const cases: Array<[string, string]> = [
      ['Shop', 'http://evil.example.com/cb'],
      ['Shop', 'javascript:alert(document.domain)'],
      ['Shop', 'https://trusted.example.com@evil.example.com/cb'],
      ['Shop', 'https://evil.example.com\\@trusted.example.com/cb'],
      ['Shop', 'https://evil.example.com/cb#token='],
      ['Shop', '//evil.example.com/cb'],
      ['trusted-e2e', 'https://evil.example.com/cb'],
      ['trusted-e2e', 'https://trusted.example.com.evil.example/cb'],
    ];
    for (const [name, redirect] of cases) {
      const response = await page.goto(flowUrl(hat, name, redirect));
      expect(response?.status(), redirect).toBe(400);
      await expect(page.locator('details.technical')).toContainText('Invalid login request');
      expect(new URL(page.url()).host).toBe(addressOf(cluster, 'hostile'));
      await expect(page.locator('.brand')).toContainText(addressOf(cluster, 'hostile'));
    }
    expect(followed).toEqual([]);
  });

  test('a service name with markup is shown as text', async ({ page, cluster }) => {
    await cluster.server.createHat('marky');
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const name = '<img src=x onerror=alert(1)><b>Bold</b> & "quoted"';
    await page.goto(flowUrl(cluster.hatUrl('marky'), name, 'https://markup.example.com/cb'));
    await expect(page.locator('.self-name')).toHaveText(`“${name}”`);
    await expect(page.locator('main img, main b')).toHaveCount(0);
    await expect(page).toHaveTitle('Log in to markup.example.com with your HAT');
    await enterPassword(page);
    await expect(page.locator('.self-name')).toHaveText(`“${name}”`);
    await expect(page.locator('main img, main b')).toHaveCount(0);
    expect(dialogs).toEqual([]);
  });
});

test.describe('On a phone', () => {
  test.use({ viewport: { width: 375, height: 740 } });

  test('the login and approval pages fit a 375px screen', async ({ page, cluster }, testInfo) => {
    await cluster.server.createHat('phoebe');
    await page.goto(flowUrl(cluster.hatUrl('phoebe'), 'A service with a rather long name', 'https://accounts.some-long-domain-name.example.co.uk/oauth/callback'));
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(await fits()).toBe(true);
    await expect(page.locator('.host-domain').first()).toHaveText('example.co.uk');
    await enterPassword(page);
    await expect(page.getByRole('button', { name: 'Approve and continue' })).toBeVisible();
    expect(await fits()).toBe(true);
    await record(page, testInfo, 'approve-long-name');
  });
});
