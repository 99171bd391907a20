import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, type Page, type TestInfo } from '@playwright/test';
import { SCREENSHOT_DIR, saveScreenshot } from './fixtures.js';

/**
 * Issue 12: every page state the e2e suite reaches is checked by axe-core and photographed at
 * desktop and phone widths. axe-core's own source is injected with page.evaluate, because
 * @axe-core/playwright needs Node 22 and this project runs on Node 20.
 */
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

/** The widths every page state is saved at: a laptop and a phone. */
export const SCREENSHOT_WIDTHS = [1280, 390] as const;

interface AxeResult {
  id: string;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * axe-core in the page (evaluate is not subject to the page's CSP): no violations, and nothing
 * axe leaves for a person to review, except colour contrast, which it cannot compute over some
 * backgrounds or for a decorative glyph (the header's ◆). An ARIA attribute that is not allowed
 * where it stands, for one, is only ever "needs review".
 */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  // Injected once per document; a page shown again after a form or a redirect is a new document.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeResult[]; incomplete: AxeResult[] }> } }).axe;
    const result = await axe.run(document, { rules: { 'target-size': { enabled: true } } });
    const list = (results: AxeResult[]) => results.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    return { violations: list(result.violations), review: list(result.incomplete.filter((v) => v.id !== 'color-contrast')) };
  });
  expect(found.violations, `axe-core on ${state}`).toEqual([]);
  expect(found.review, `axe-core on ${state}: needs review`).toEqual([]);
}

/**
 * A state's name belongs to the first test that records it in this run (its file and titles,
 * kept in test-results/screenshots/.names/, which is emptied before each run with the folder);
 * another test using it would replace that test's pictures. The same test again (a retry,
 * --repeat-each) may.
 */
function claimName(testInfo: TestInfo, state: string): void {
  const dir = path.join(SCREENSHOT_DIR, '.names');
  mkdirSync(dir, { recursive: true });
  const owner = [path.relative(process.cwd(), testInfo.file), ...testInfo.titlePath.slice(1)].join(' › ');
  const file = path.join(dir, state);
  try {
    writeFileSync(file, owner, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    expect(readFileSync(file, 'utf8'), `the page state name "${state}" is already used by another test`).toBe(owner);
  }
}

/**
 * Checks the page with axe and saves it, at 1280 and at 390 px (the phone layout is a page of its
 * own: the activity table becomes cards, the header wraps), as
 * test-results/screenshots/<state>-<width>.png, also attached to the HTML report.
 * `state` names the page state and must be unique across the suite, e.g. `dashboard-home`.
 */
export async function record(page: Page, testInfo: TestInfo, state: string): Promise<void> {
  claimName(testInfo, state);
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of SCREENSHOT_WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await expectAccessible(page, `${state} at ${width} px`);
    // WCAG 1.4.10 (reflow), which axe cannot see: nothing makes the page scroll sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${state} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
    await saveScreenshot(page, testInfo, `${state}-${width}`);
  }
  await page.setViewportSize(size);
}
