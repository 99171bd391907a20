import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test as base, type Page, type TestInfo } from '@playwright/test';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { startDemo, type RunningDemo } from '../demo/server.js';

/** Screenshots that go with the test results, for people to look at. */
export const SCREENSHOT_DIR = path.resolve('test-results', 'screenshots');

export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

export interface ClusterFixture {
  server: TestServer;
  /** `http://alice.hat.localhost:<port>` */
  hatUrl(name: string): string;
  /** `http://hat.localhost:<port>` */
  clusterUrl: string;
}

/** One real server per worker, on a free port, with its own data folder. */
export const test = base.extend<{}, { cluster: ClusterFixture; demo: RunningDemo }>({
  cluster: [
    async ({}, use) => {
      const server = await startTestServer();
      await use({
        server,
        hatUrl: (name) => `http://${server.hatHost(name)}`,
        clusterUrl: `http://${server.clusterHost}`,
      });
      await server.stop();
    },
    { scope: 'worker' },
  ],
  /** The demo third-party website (`npm run demo`) on a free port: `demo.url` is http://localhost:<port>. */
  demo: [
    async ({}, use) => {
      const demo = await startDemo({ port: 0, hatDomain: 'hat.localhost' });
      await use(demo);
      await demo.close();
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
/** The test data shared with the node:test suites. */
export { application, registration, registrationFor } from '../test/support/fixtures.js';
