import { expect, test } from './fixtures.js';

test('an unknown HAT address shows a readable not-found page', async ({ page, cluster }) => {
  const response = await page.goto(cluster.hatUrl('nobody-here'));
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('There is no HAT at this address.');
  await expect(page.getByRole('link', { name: 'Find your HAT' })).toHaveAttribute('href', `${cluster.clusterUrl}/#go`);
});
