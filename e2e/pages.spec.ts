import type { Page } from '@playwright/test';
import { readOutbox } from '../src/services/mail.js';
import { ACTIVITY_TYPES } from '../src/store/ports.js';
import { admin } from '../test/support/apps.js';
import { startCimdWorld } from '../test/support/cimd-site.js';
import { request } from '../test/support/http.js';
import { notablesManifest } from '../test/support/manifests.js';
import { startTestServer, STRONG_PASSWORD } from '../test/support/server.js';
import { expect, registrationFor, test as base, type ClusterFixture } from './fixtures.js';
import { record } from './page-check.js';

/**
 * Issue 12: every page state of the server that no other spec reaches, checked by axe-core and
 * photographed at 1280 and 390 px (record, e2e/page-check.ts), grouped by area. people.spec.ts
 * covers the login page with its way back, the generic and registered approval pages, recovery on
 * a HAT and the 404 page. Every HAT here is named pg-….
 */

/**
 * A server of these tests' own (one per worker): the applications they register would otherwise
 * show on other specs' dashboards in the same worker, and change what those see.
 */
const test = base.extend<{}, { cluster: ClusterFixture }>({
  cluster: [
    async ({}, use) => {
      const server = await startTestServer();
      await use({ server, hatUrl: (name) => `http://${server.hatHost(name)}`, clusterUrl: `http://${server.clusterHost}` });
      await server.stop();
    },
    { scope: 'worker' },
  ],
});

/** A 1×1 PNG, served in the browser for an application's https logo (the tests have no internet). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** A registered application with a full HAT manifest: logo, headline, developer, terms, support. */
const NOTABLES = 'pg-notables';
const NOTABLES_ORIGIN = 'https://notables.example.com';

async function registerNotables(cluster: ClusterFixture): Promise<void> {
  if (await cluster.server.services.registry.find(NOTABLES)) return;
  const manifest = notablesManifest({ id: NOTABLES });
  manifest.setup.validRedirectUris = [`${NOTABLES_ORIGIN}/authenticate`];
  await cluster.server.services.registry.create(manifest);
}

/** Answers the service's own https origin inside the browser: its logo and its callback page. */
async function fakeService(page: Page, origin: string): Promise<void> {
  await page.route(`${origin}/**`, (route) =>
    route.request().url().endsWith('.png')
      ? route.fulfill({ status: 200, contentType: 'image/png', body: PNG })
      : route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Service</title><h1>Back at the service</h1>' }),
  );
}

async function logIn(page: Page, password = STRONG_PASSWORD): Promise<void> {
  await page.getByLabel('Your HAT password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

function hatloginUrl(cluster: ClusterFixture, hat: string, name: string, redirect: string): string {
  return `${cluster.hatUrl(hat)}/hatlogin?name=${encodeURIComponent(name)}&redirect=${encodeURIComponent(redirect)}`;
}

/** An OAuth authorization request (PKCE S256, state, nonce) to the HAT at `hatUrl`. */
function authorizeUrl(hatUrl: string, clientId: string, redirect: string, scope = 'openid email'): string {
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope,
    redirect_uri: redirect,
    state: 'pg-state',
    nonce: 'pg-nonce',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  return `${hatUrl}/oauth/authorize?${params}`;
}

/** A registered application as an OAuth client (public, PKCE), asking to read notes. */
const CLIENT = 'pg-client';
const CLIENT_ORIGIN = 'https://pg-client.example.com';

async function registerClient(cluster: ClusterFixture): Promise<void> {
  if (await cluster.server.services.registry.find(CLIENT)) return;
  await cluster.server.services.registry.create(registrationFor(CLIENT, [{ namespace: 'notes', access: 'read' }]));
}

/** The newest mail in the development outbox to `to`, and the first link in it that contains `marker`. */
async function linkInOutbox(cluster: ClusterFixture, to: string, marker: string): Promise<string> {
  // The mail is sent after the answer (links.later), so it may take a moment on a busy machine.
  for (let i = 0; i < 150; i++) {
    const mail = (await readOutbox(cluster.server.dataDir)).find((m) => m.to === to && m.text.includes(marker));
    const link = mail?.text.split(/\s+/).find((word) => /^https?:\/\//.test(word) && word.includes(marker));
    if (link) return link;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} with ${marker}`);
}

test.describe('every page state: axe-core finds nothing, screenshots at 1280 and 390 px (issue 12)', () => {
  // The areas are independent (each its own HATs; registrations are made if missing), so both
  // workers can share them.
  test.describe.configure({ mode: 'parallel' });

  test('the cluster: landing, "go to my HAT", sign-up, recovery, the development outbox, errors', async ({ page, cluster }, testInfo) => {
    await page.goto(cluster.clusterUrl + '/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Your HAT: your own data server/);
    // The name's field is read with what follows it (the cluster's domain), in words, not an aria-label on a span.
    await expect(page.getByLabel("Your HAT's name")).toHaveAccessibleDescription(/^followed by \.hat\.localhost:\d+$/);
    await record(page, testInfo, 'landing');

    await page.getByLabel("Your HAT's name").fill('pg-nobody');
    await page.getByRole('button', { name: 'Go to my HAT' }).click();
    await expect(page.locator('#go-error')).toHaveText(/There is no HAT called "pg-nobody"/);
    await record(page, testInfo, 'landing-go-error');

    await page.goto(cluster.clusterUrl + '/signup');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create your HAT');
    await record(page, testInfo, 'signup');

    await page.getByLabel('Full name').fill('Pat Gray');
    await page.getByLabel('HAT name').fill('PG_Pat');
    await page.getByLabel('Email').fill('pg-pat@example');
    await page.getByLabel('Password', { exact: true }).fill('password1');
    await page.getByLabel('Repeat the password').fill('password2');
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    await expect(page.getByRole('alert').filter({ hasText: /Please correct these \d things/ })).toBeVisible();
    await record(page, testInfo, 'signup-errors');

    await page.getByLabel('HAT name').fill('pg-pat');
    await page.getByLabel('Email').fill('pg-pat@example.com');
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByLabel('Repeat the password').fill(STRONG_PASSWORD);
    // A form whose CSRF cookie is gone (left open too long, or not sent from this site).
    await page.context().clearCookies();
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'This form expired' })).toBeVisible();
    await record(page, testInfo, 'signup-form-expired');
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByLabel('Repeat the password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your HAT is ready');
    await record(page, testInfo, 'signup-ready');
    // Shown again (a reload, or back): the way in is offered once, so now only a link to the HAT.
    await page.reload();
    await expect(page.getByRole('link', { name: 'Go to my HAT' })).toBeVisible();
    await record(page, testInfo, 'signup-ready-again');

    // "Forgot password?" on the cluster's own host: no HAT yet, so the name or email is asked for.
    await page.goto(cluster.clusterUrl + '/recover');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Forgot your password?');
    await record(page, testInfo, 'recover-request-cluster');
    await page.getByLabel('HAT name or email').fill('   ');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    // At the field, as every form's problems are (form.njk: "Error:" for screen readers first).
    await expect(page.locator('#recover-error')).toHaveText('Error: Enter your HAT name or the email address on file');
    await record(page, testInfo, 'recover-request-error');
    await page.getByLabel('HAT name or email').fill('pg-pat@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your mail');
    await record(page, testInfo, 'recover-sent-cluster');

    // In development, with no SMTP server, the cluster lists the mails it would have sent.
    await linkInOutbox(cluster, 'pg-pat@example.com', '/recover/reset?token=');
    await page.goto(cluster.clusterUrl + '/dev/outbox');
    await expect(page.getByText('pg-pat@example.com').first()).toBeVisible();
    await record(page, testInfo, 'dev-outbox');

    // Ten requests from one address in 15 minutes, then the form says to wait (SPEC 13).
    for (let i = 0; i < 12; i++) {
      await page.goto(cluster.clusterUrl + '/recover');
      await page.getByLabel('HAT name or email').fill('pg-nobody-at-all');
      const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Send me a link' }).click()]);
      if (answer.status() === 429) break;
    }
    await expect(page.getByRole('alert').filter({ hasText: 'Too many requests from here' })).toBeVisible();
    await record(page, testInfo, 'recover-request-throttled');

    await page.goto(cluster.clusterUrl + '/no-such-page');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('We could not find that page.');
    await record(page, testInfo, 'error-404-cluster');

    await page.goto(`http://pg-nobody.${cluster.server.clusterHost}/`);
    await record(page, testInfo, 'error-unknown-hat');
  });

  test("a HAT's login page at /: wrong password, too many attempts, logged out, after a reset, disabled", async ({ page, cluster }, testInfo) => {
    await cluster.server.createHat('pg-login');
    await page.goto(cluster.hatUrl('pg-login') + '/');
    await logIn(page, 'not the password at all');
    await expect(page.getByRole('alert')).toHaveText('That password is not right. Please try again.');
    await record(page, testInfo, 'dashboard-login-wrong-password');

    await page.goto(cluster.hatUrl('pg-login') + '/?logged-out');
    await expect(page.getByRole('status')).toHaveText('You have logged out.');
    await record(page, testInfo, 'dashboard-login-logged-out');
    await page.goto(cluster.hatUrl('pg-login') + '/?password-reset');
    await expect(page.getByRole('status')).toContainText('Your new password is set');
    await record(page, testInfo, 'dashboard-login-after-reset');

    // Ten wrong passwords from this address lock the form for a while (SPEC 6.3).
    await cluster.server.createHat('pg-locked');
    await page.goto(cluster.hatUrl('pg-locked') + '/');
    for (let i = 0; i < 11; i++) {
      await logIn(page, `wrong password number ${i}`);
      await expect(page.getByRole('alert')).toBeVisible();
    }
    await expect(page.getByRole('alert')).toContainText(/minute/);
    await record(page, testInfo, 'dashboard-login-locked');
    // The count is the HAT's and this address's, whichever page asks: /hatlogin and OAuth's login say so too.
    await page.goto(hatloginUrl(cluster, 'pg-locked', 'Some site', 'https://some.example.com/cb'));
    await logIn(page);
    await expect(page.getByRole('alert')).toContainText(/minute/);
    await record(page, testInfo, 'login-locked');
    await registerClient(cluster);
    await page.goto(authorizeUrl(cluster.hatUrl('pg-locked'), CLIENT, `${CLIENT_ORIGIN}/callback`));
    await logIn(page);
    await expect(page.getByRole('alert')).toContainText(/minute/);
    await record(page, testInfo, 'oauth-login-locked');

    await cluster.server.createHat('pg-off');
    const disabled = await admin(cluster.server, 'POST', '/api/admin/hats/pg-off/disable');
    expect(disabled.status, disabled.text).toBe(200);
    await page.goto(cluster.hatUrl('pg-off') + '/');
    await expect(page.locator('#hat-disabled')).toBeVisible();
    await record(page, testInfo, 'dashboard-login-disabled');
    await page.goto(hatloginUrl(cluster, 'pg-off', 'Some site', 'https://some.example.com/cb'));
    await expect(page.locator('#hat-disabled')).toBeVisible();
    await record(page, testInfo, 'login-disabled');
  });

  test('/hatlogin: a registered application with a full manifest, a wrong password, a bad request', async ({ page, cluster }, testInfo) => {
    await cluster.server.createHat('pg-flow');
    await registerNotables(cluster);
    await fakeService(page, NOTABLES_ORIGIN);
    await page.goto(hatloginUrl(cluster, 'pg-flow', NOTABLES, `${NOTABLES_ORIGIN}/authenticate`));
    await expect(page.locator('dl.facts')).toContainText('Registered on this server');
    await record(page, testInfo, 'login-registered');
    await logIn(page, 'not the password at all');
    await expect(page.getByRole('alert')).toHaveText('That password is not right. Please try again.');
    await record(page, testInfo, 'login-wrong-password');
    await logIn(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Allow Notables to use your HAT?');
    await expect(page.locator('img.app-logo')).toBeVisible();
    await record(page, testInfo, 'approve-registered-manifest');

    const bad = await page.goto(hatloginUrl(cluster, 'pg-flow', 'Shop', 'http://evil.example.com/cb'));
    expect(bad?.status()).toBe(400);
    await record(page, testInfo, 'error-400-bad-redirect');
  });

  test('the dashboard: services and activity, older activity, password, email, email confirmation', async ({ page, cluster }, testInfo) => {
    await cluster.server.createHat('pg-empty');
    await page.goto(cluster.hatUrl('pg-empty') + '/');
    await logIn(page);
    await expect(page.getByText('No service has access to your HAT.')).toBeVisible();
    await record(page, testInfo, 'dashboard-empty');

    const hat = 'pg-dash';
    await cluster.server.createHat(hat);
    await registerNotables(cluster);
    const diary = registrationFor('pg-diary', [{ namespace: 'diary', access: 'write' }]);
    if (!(await cluster.server.services.registry.find('pg-diary'))) await cluster.server.services.registry.create(diary);
    // More than a page of activity (20 entries): one of every kind, so that each one's words are
    // seen at both widths, from an IPv6 address and through the operator and the API.
    for (const type of ACTIVITY_TYPES) {
      await cluster.server.services.activity.record({ hat, type, via: type.startsWith('owner_') || type === 'key_rotated' ? 'operator' : 'api', clientIp: '2001:db8:85a3::8a2e:370:7334' });
    }
    for (let i = 0; i < 3; i++) await cluster.server.services.activity.record({ hat, type: 'login', via: 'api', clientIp: '203.0.113.7' });

    await fakeService(page, NOTABLES_ORIGIN);
    await fakeService(page, 'https://shop.example.com');
    await page.goto(cluster.hatUrl(hat) + '/');
    await logIn(page);
    // A website approved through /hatlogin, and an application enabled on the dashboard.
    await page.goto(hatloginUrl(cluster, hat, 'My Shop', 'https://shop.example.com/cb'));
    await page.getByRole('button', { name: 'Approve and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Back at the service');
    await page.goto(cluster.hatUrl(hat) + '/');
    await page.getByRole('button', { name: 'Enable Notables' }).click();
    const access = page.getByRole('region', { name: 'Services with access' });
    await expect(access.getByRole('heading', { name: /Notables/ })).toBeVisible();
    await expect(access.getByRole('heading', { name: /My Shop/ })).toBeVisible();
    // The dashboard shows the newest entries; the whole log is on /activity.
    await expect(page.getByRole('link', { name: /^See all \d+ entries$/ })).toBeVisible();
    await record(page, testInfo, 'dashboard-home');

    // Revoke asks first (a website's confirmation is recorded in dashboard.spec.ts).
    await access.getByRole('link', { name: /^Revoke Notables/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Notables');
    await record(page, testInfo, 'revoke-confirm-application');

    // The application now asks for more than the owner allowed: the dashboard asks again.
    const more = notablesManifest({ id: NOTABLES });
    more.setup.validRedirectUris = [`${NOTABLES_ORIGIN}/authenticate`];
    more.permissions.rolesGranted.push({ role: 'namespaceread', detail: 'calendar' });
    await cluster.server.services.registry.replace(NOTABLES, more);
    await page.goto(cluster.hatUrl(hat) + '/');
    await expect(access.getByRole('button', { name: /Allow the new permissions/ })).toBeVisible();
    await record(page, testInfo, 'dashboard-reconsent');

    await page.getByRole('link', { name: /^See all \d+ entries$/ }).click();
    await page.getByRole('link', { name: 'Older →' }).click();
    await expect(page.getByText(/Page 2 of/)).toBeVisible();
    await record(page, testInfo, 'dashboard-activity-older');

    await page.goto(cluster.hatUrl(hat) + '/dashboard/password');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your password');
    await record(page, testInfo, 'dashboard-password');
    await page.getByLabel('Current password').fill(STRONG_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('saffron glacier tandem wharf');
    await page.getByLabel('Repeat the new password').fill('saffron glacier tandem whar');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.locator('.error-summary')).toBeVisible();
    await record(page, testInfo, 'dashboard-password-error');
    // A dashboard form whose CSRF token does not match: refused with the error page.
    await page.getByLabel('Current password').fill(STRONG_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('saffron glacier tandem wharf');
    await page.getByLabel('Repeat the new password').fill('saffron glacier tandem wharf');
    await page.locator('form[action="/dashboard/password"] input[name=_csrf]').evaluate((input) => ((input as HTMLInputElement).value = 'forged'));
    const refused = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Change password' }).click()]);
    expect(refused[0].status()).toBe(403);
    await record(page, testInfo, 'error-403-form');

    await page.goto(cluster.hatUrl(hat) + '/dashboard/email');
    await record(page, testInfo, 'dashboard-email');
    await page.getByLabel('New email address').fill('pg-dash-new@example.com');
    await page.getByLabel('Your HAT password').fill('not the password at all');
    await page.getByRole('button', { name: 'Send the confirmation link' }).click();
    await expect(page.locator('.error-summary')).toBeVisible();
    await record(page, testInfo, 'dashboard-email-error');
    await page.getByLabel('Your HAT password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Send the confirmation link' }).click();
    await expect(page.getByRole('status')).toContainText('We sent a link to pg-dash-new@example.com');
    await record(page, testInfo, 'dashboard-notice');

    const link = await linkInOutbox(cluster, 'pg-dash-new@example.com', '/confirm-email?token=');
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Email address confirmed');
    await record(page, testInfo, 'confirm-email');
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link no longer works');
    await record(page, testInfo, 'confirm-email-gone');
  });

  test('OAuth / OpenID Connect: login, wrong password, consent, the dashboard with a grant, an unknown client', async ({ page, cluster }, testInfo) => {
    const hat = 'pg-oauth';
    await cluster.server.createHat(hat);
    await registerClient(cluster);
    await fakeService(page, CLIENT_ORIGIN);
    const authorize = (clientId: string, scope?: string) => authorizeUrl(cluster.hatUrl(hat), clientId, `${CLIENT_ORIGIN}/callback`, scope);
    await page.goto(authorize('pg-client'));
    await expect(page.getByRole('heading', { name: 'Log in to your HAT' })).toBeVisible();
    await record(page, testInfo, 'oauth-login');
    await logIn(page, 'not the password at all');
    await expect(page.getByRole('alert')).toBeVisible();
    await record(page, testInfo, 'oauth-login-wrong-password');
    await logIn(page);
    await expect(page.getByRole('heading', { name: /Allow The pg-client application to use your HAT/ })).toBeVisible();
    await record(page, testInfo, 'oauth-consent');
    await page.getByRole('button', { name: 'Allow and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Back at the service');

    await page.goto(cluster.hatUrl(hat) + '/');
    await expect(page.locator('#oauth')).toContainText('The pg-client application');
    await record(page, testInfo, 'dashboard-oauth-grant');

    // Asking beyond its grant: the consent page marks what is new.
    await page.goto(authorize('pg-client', 'openid email data:notes:read'));
    await expect(page.getByText('New', { exact: true })).toBeVisible();
    await record(page, testInfo, 'oauth-consent-more');

    const unknown = await page.goto(authorize('pg-no-such-client'));
    expect(unknown?.status()).toBe(400);
    await record(page, testInfo, 'oauth-error-unknown-client');
  });

  test('OAuth for a website known only by its Client ID Metadata Document: its host leads, its name is its own', async ({ page }, testInfo) => {
    const world = await startCimdWorld();
    try {
      const hatHost = `pg-cimd.hat.localhost:${world.port}`;
      const signup = await request(world.port, `hat.localhost:${world.port}`, '/api/signup', {
        method: 'POST',
        body: { username: 'pg-cimd', email: 'pg-cimd@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD, fullName: 'Pat' },
      });
      expect(signup.status, signup.text).toBe(201);
      await page.goto(authorizeUrl(`http://${hatHost}`, `${world.site}/client.json`, `${world.site}/callback`, 'openid profile email'));
      await expect(page.getByRole('heading', { name: 'Log in to your HAT' })).toBeVisible();
      await expect(page.locator('.facts')).toContainText('Not registered on this server');
      await record(page, testInfo, 'oauth-login-cimd');
      await logIn(page);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Allow localhost:\d+ to use your HAT\?$/);
      await expect(page.locator('.lead')).toContainText('calls itself “Recipe Box”');
      await record(page, testInfo, 'oauth-consent-cimd');
    } finally {
      await world.stop();
    }
  });
});
