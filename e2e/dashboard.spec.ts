import type { Page } from '@playwright/test';
import { expect, registration, test } from './fixtures.js';
import { record } from './page-check.js';

const PASSWORD = 'copper meadow lantern okapi';
const NEW_PASSWORD = 'saffron glacier tandem wharf';

/** An application registered on the cluster, so that the dashboard has one to offer. */
const JOURNAL = registration({
  id: 'h6-journal',
  name: 'Daily Journal',
  description: 'Writes your journal entries to your HAT and reads your profile to greet you.',
  homepage: 'https://journal.example',
  redirectUris: ['http://journal.localhost:4100/callback'],
  permissions: [
    { namespace: 'journal', access: 'write' },
    { namespace: 'profile', access: 'read' },
  ],
});

async function logIn(page: Page, password: string): Promise<void> {
  await page.getByLabel('Your HAT password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test.describe("The owner's dashboard (SPEC 7)", () => {
  test('sign up, log in, let the demo website in, see it, revoke it, change the password', async ({ page, cluster, demo }, testInfo) => {
    const registered = await cluster.server.call(null, '/api/admin/applications', {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.server.config.adminToken}` },
      body: JOURNAL,
    });
    expect([201, 409]).toContain(registered.status);

    // Sign up in the browser and arrive at the new HAT.
    await page.goto(cluster.clusterUrl + '/signup');
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('HAT name').fill('db-ada');
    await page.getByLabel('Email').fill('db-ada@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    const hatUrl = cluster.hatUrl('db-ada');
    const address = cluster.server.hatHost('db-ada');
    // The one-time hand-off: the new HAT's own page asks once, then its dashboard, logged in.
    await page.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Continue as ${address}?`);
    await page.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(page).toHaveURL(hatUrl + '/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
    await expect(page.getByText('No service has access to your HAT.')).toBeVisible();

    // Use the demo website to log in to the HAT; the browser is logged in there already, so it asks only for approval.
    await page.goto(demo.url);
    await page.getByLabel('Your HAT address').fill(address);
    await page.getByRole('button', { name: 'Log in with HAT' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Continue to localhost:\d+\?$/);
    await page.getByRole('button', { name: 'Approve and continue' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`You are logged in as ${address}`);
    const token = new URL(page.url()).searchParams.get('token');
    expect(token, 'the demo received a token').toBeTruthy();
    const validate = () =>
      cluster.server.call('db-ada', '/users/access_token/validate', { headers: { 'x-auth-token': token! } });
    expect((await validate()).status).toBe(200);

    // Back on the dashboard: the website has access, and its login is in the activity log.
    await page.goto(hatUrl + '/');
    const access = page.getByRole('region', { name: 'Services with access' });
    const website = access.getByRole('listitem').filter({ hasText: 'HAT Login Demo' });
    await expect(website).toContainText(`localhost:${demo.port}`);
    await expect(website).toContainText('May learn that you own this HAT');
    // In the owner's own clock (local-time.js), the exact time on hover.
    await expect(website.locator('dd time').last()).toHaveText('just now');
    await expect(website.locator('dd time').last()).toHaveAttribute('title', /\d{4}/);

    const available = page.getByRole('region', { name: 'Applications you can enable' });
    await expect(available.getByRole('heading', { name: 'Daily Journal' })).toBeVisible();
    await expect(available).toContainText('journal');

    const log = page.getByRole('table');
    await expect(log.locator('caption')).toContainText('newest first');
    const newest = log.getByRole('row').nth(1);
    await expect(newest.getByRole('cell').nth(1)).toHaveText('Approved and logged in');
    await expect(newest.getByRole('cell').nth(2)).toHaveText(`HAT Login Demo at localhost:${demo.port}`);
    await expect(newest.getByRole('cell').nth(4)).toHaveText('Log in with HAT');
    await expect(log).toContainText('Logged in');

    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'no sideways scrolling at 375px').toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });

    // The download of the activity log carries the same entry.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all as JSON' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^activity-db-ada-\d{4}-\d\d-\d\d\.json$/);
    const exported = JSON.parse(await streamText(await download.createReadStream()));
    expect(exported.entries[0]).toMatchObject({ type: 'approval', via: 'hatlogin', service: 'HAT Login Demo' });

    // Revoke asks first (SPEC 7): Keep changes nothing…
    await website.getByRole('link', { name: /^Revoke/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Revoke localhost:${demo.port}?`);
    await expect(page.locator('.consequences')).toContainText('It will no longer learn that you own this HAT');
    await record(page, testInfo, 'revoke-confirm-website');
    await page.getByRole('link', { name: /^Keep/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
    await expect(website).toBeVisible();
    expect((await validate()).status, 'nothing is revoked before the confirmation').toBe(200);

    // …and Revoke on the confirmation page ends it: its token is refused at once.
    await website.getByRole('link', { name: /^Revoke/ }).click();
    await page.getByRole('button', { name: /^Revoke/ }).click();
    await expect(page.getByRole('status')).toContainText('HAT Login Demo at localhost:');
    await expect(page.getByRole('status')).toContainText('no longer has access');
    await expect(access.getByRole('listitem').filter({ hasText: 'HAT Login Demo' })).toHaveCount(0);
    const refused = await validate();
    expect(refused.status).toBe(401);
    expect(refused.json()).toEqual({ message: 'The supplied authentication is invalid', cause: expect.stringMatching(/revoked/) });
    await expect(log.getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText('Revoked access');

    // Change the password, then log out and in again with the new one.
    await page.getByRole('link', { name: 'Change your password' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your password');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('password2024');
    await page.getByLabel('Repeat the new password').fill('password2024');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.locator('#newPassword-error')).toContainText('The new password is too easy to guess');

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('status')).toContainText('Your password is changed. You are still logged in here');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('You have logged out.');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in to your HAT');
    await expect(page.getByLabel('Your HAT password')).toBeFocused();
    await logIn(page, PASSWORD);
    await expect(page.getByRole('alert')).toHaveText('That password is not right. Please try again.');
    await logIn(page, NEW_PASSWORD);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
    await expect(page.getByRole('table').getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText('Logged in');
  });

  test('the dashboard works from the keyboard alone', async ({ page, cluster }) => {
    await cluster.server.createHat('db-keys');
    await page.goto(cluster.hatUrl('db-keys') + '/');
    await page.keyboard.type('correct horse battery staple');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(cluster.server.hatHost('db-keys'));

    // The first Tab reaches the skip link, which leads into the main content.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    const focusable = await page.evaluate(() => {
      const seen: string[] = [];
      for (const el of Array.from(document.querySelectorAll('a[href], button'))) seen.push((el as HTMLElement).innerText.trim());
      return seen;
    });
    expect(focusable).toEqual(expect.arrayContaining(['Log out', 'Download all as JSON', 'Change your password']));
    await page.getByRole('link', { name: 'Change your password' }).focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your password');
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
