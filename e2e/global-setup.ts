import { rmSync } from 'node:fs';
import { SCREENSHOT_DIR } from './fixtures.js';

/**
 * Each run starts with an empty test-results/screenshots, as Playwright does with its own output
 * folder: what is there afterwards is exactly this run's page states, none left from an older one.
 */
export default function globalSetup(): void {
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
}
