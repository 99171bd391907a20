import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { record } from './page-check.js';

const PASSWORD = 'correct horse battery staple';

async function logIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Your HAT password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test.describe('Browsers logged in, and log out everywhere (SPEC 7)', () => {
  test('two browsers: the list shows both, ends one, then log out everywhere logs the other out on its next page', async ({ browser, cluster }, testInfo) => {
    await cluster.server.createHat('se-sam');
    const url = cluster.hatUrl('se-sam') + '/';
    const address = cluster.server.hatHost('se-sam');
    const laptop = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' });
    const phone = await browser.newContext({
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    });
    const tablet = await browser.newContext();
    const [a, b, c] = await Promise.all([laptop.newPage(), phone.newPage(), tablet.newPage()]);
    for (const page of [a, b, c]) {
      await logIn(page, url);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(address);
    }

    // The laptop's list: three browsers, this one marked, the others with an End button.
    await a.reload();
    const sessions = a.getByRole('region', { name: 'Browsers logged in' });
    await expect(sessions.getByRole('listitem')).toHaveCount(3);
    const self = sessions.getByRole('listitem').filter({ hasText: 'This browser' });
    await expect(self.getByRole('heading')).toHaveText('Firefox on Linux This browser');
    await expect(self.getByRole('button')).toHaveCount(0);
    // Exact in datetime; shown as local, relative time by local-time.js ("just now").
    await expect(self.locator('dd time').last()).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT\d\d:\d\d/);
    await expect(self.locator('dd time').last()).not.toBeEmpty();
    await expect(sessions.getByRole('heading', { name: 'Safari on iPhone' })).toBeVisible();
    await record(a, testInfo, 'sessions-list');

    // End the phone's session: its next page is the login page.
    await sessions.getByRole('button', { name: /^End session of Safari on iPhone/ }).click();
    await expect(a.getByRole('status')).toContainText('The session of Safari on iPhone has ended');
    await expect(sessions.getByRole('listitem')).toHaveCount(2);
    await b.reload();
    await expect(b.getByRole('heading', { level: 1 })).toHaveText('Log in to your HAT');

    // Log out everywhere from the laptop: it and the third browser are both logged out.
    await a.getByRole('button', { name: 'Log out everywhere' }).click();
    await expect(a.getByRole('heading', { level: 1 })).toHaveText('Log in to your HAT');
    await expect(a.getByRole('status')).toContainText('You have logged out everywhere');
    await record(a, testInfo, 'sessions-logged-out-everywhere');
    await c.reload();
    await expect(c.getByRole('heading', { level: 1 })).toHaveText('Log in to your HAT');

    await Promise.all([laptop.close(), phone.close(), tablet.close()]);
  });
});
