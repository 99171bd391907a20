import { expect, test } from './fixtures.js';

const PASSWORD = 'violet lantern harbour mosaic';

test.describe('The cluster landing page (SPEC 9)', () => {
  test('explains what a HAT is and leads to sign-up and to one’s HAT', async ({ page, cluster }) => {
    await page.goto(cluster.clusterUrl + '/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Your HAT: your own data server/);
    await expect(page.getByRole('heading', { name: 'What this server does' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Create your HAT' })).toHaveAttribute('href', '/signup');
    await expect(page.getByLabel("Your HAT's name")).toBeVisible();

    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'no sideways scrolling at 375px').toBeLessThanOrEqual(0);
  });

  test('signs up in the browser: field errors first, then the new HAT', async ({ page, cluster }) => {
    await page.goto(cluster.clusterUrl + '/');
    await page.getByRole('link', { name: 'Create your HAT' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create your HAT');

    await page.getByLabel('Full name').fill('Grace Hopper');
    await page.getByLabel('HAT name').fill('Grace_H');
    await page.getByLabel('Email').fill('grace@example');
    await page.getByLabel('Password', { exact: true }).fill('password1');
    await page.getByLabel('Repeat the password').fill('password1');
    await page.getByRole('button', { name: 'Create my HAT' }).click();

    await expect(page).toHaveTitle(/^Error: /);
    const summary = page.getByRole('alert').filter({ hasText: 'Please correct these 3 things' });
    await expect(summary).toBeVisible();
    await expect(page.locator('#username-error')).toContainText('HAT name may contain only lowercase letters');
    await expect(page.locator('#email-error')).toContainText('Email must be a valid email address');
    await expect(page.locator('#pass-error')).toContainText('Password must be at least 10 characters long');
    await expect(page.getByLabel('HAT name')).toHaveAttribute('aria-invalid', 'true');
    // What was typed is kept, except the passwords.
    await expect(page.getByLabel('Full name')).toHaveValue('Grace Hopper');
    await expect(page.getByLabel('HAT name')).toHaveValue('Grace_H');
    await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');

    // The summary's links lead to the fields.
    await summary.getByRole('link', { name: /Email must be/ }).click();
    await expect(page.getByLabel('Email')).toBeFocused();

    await page.getByLabel('HAT name').fill('lp-grace');
    await page.getByLabel('Email').fill('lp-grace@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD + ' ');
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    await expect(page.locator('#passRepeat-error')).toHaveText(/The repeated password does not match the password/);

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create my HAT' }).click();

    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your HAT is ready');
    const address = new URL(cluster.hatUrl('lp-grace')).host;
    await expect(page.getByText(`Your HAT is ready at ${address}`)).toBeVisible();
    // The one-time hand-off (issue 12): the HAT's own page asks once, then its dashboard, logged in.
    await page.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Continue as ${address}?`);
    await page.getByRole('button', { name: 'Go to my dashboard' }).click();
    await expect(page).toHaveURL(cluster.hatUrl('lp-grace') + '/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
  });

  test('takes a person to their HAT by name, and says so when there is none', async ({ page, cluster }) => {
    await cluster.server.createHat('lp-hedy');
    await page.goto(cluster.clusterUrl + '/');
    const name = page.getByLabel("Your HAT's name");

    await name.fill('nobody-by-that-name');
    await name.press('Enter');
    await expect(page.locator('#go-error')).toHaveText(/There is no HAT called "nobody-by-that-name"/);
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toBeFocused();

    await name.fill('LP-Hedy');
    await page.getByRole('button', { name: 'Go to my HAT' }).click();
    await expect(page).toHaveURL(cluster.hatUrl('lp-hedy') + '/');
  });
});
