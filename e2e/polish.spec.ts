import { expect, test } from './fixtures.js';

/**
 * Issue 12's smaller page behaviours, as Chromium shows them: focus goes to the error summary
 * after a failed form.
 */

test.describe('a form shown again with its problems', () => {
  test('focus moves to the error summary after a failed sign-up', async ({ page, cluster }) => {
    await page.goto(cluster.clusterUrl + '/signup');
    await page.getByLabel('HAT name').fill('Bad_Name');
    await page.getByLabel('Email').fill('not-an-address');
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    const summary = page.locator('.error-summary');
    await expect(summary).toContainText('Please correct these');
    await expect(summary).toBeFocused();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    // From the summary, the keyboard goes on to its first link.
    await page.keyboard.press('Tab');
    await expect(summary.getByRole('link').first()).toBeFocused();
  });

  test('without scripts the summary is still shown, focusable, and nothing moves focus', async ({ browser, cluster }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(cluster.clusterUrl + '/signup');
    await page.getByLabel('HAT name').fill('Bad_Name');
    await page.getByRole('button', { name: 'Create my HAT' }).click();
    await expect(page.locator('.error-summary')).toContainText('Please correct');
    await expect(page.locator('.error-summary')).toHaveAttribute('tabindex', '-1');
    await expect(page.locator('.error-summary')).not.toBeFocused();
    await context.close();
  });
});
