import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCREENSHOT_DIR } from './fixtures.js';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * After a run, test-results/screenshots/index.html shows every page state the run saved (see
 * e2e/page-check.ts), desktop and phone side by side, so that a person can look through them all.
 */
export default function globalTeardown(): void {
  if (!existsSync(SCREENSHOT_DIR)) return;
  const files = readdirSync(SCREENSHOT_DIR).filter((f) => f.endsWith('.png')).sort();
  const states = [...new Set(files.map((f) => /^(.*)-(1280|390)\.png$/.exec(f)?.[1]).filter((s): s is string => !!s))];
  const others = files.filter((f) => !/-(1280|390)\.png$/.test(f));
  const figure = (file: string, alt: string) =>
    existsSync(path.join(SCREENSHOT_DIR, file)) ? `<a href="${escape(file)}"><img src="${escape(file)}" alt="${escape(alt)}" loading="lazy"></a>` : '';
  const rows = states.map(
    (s) => `<section id="${escape(s)}"><h2>${escape(s)}</h2><div class="pair">${figure(`${s}-1280.png`, `${s} at 1280 px`)}${figure(`${s}-390.png`, `${s} at 390 px`)}</div></section>`,
  );
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Page states: ${states.length}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem}.pair{display:flex;gap:1rem;align-items:flex-start}
.pair a:first-child img{width:640px}.pair a:last-child img{width:195px}img{border:1px solid #ccc}</style></head>
<body><h1>${states.length} page states, each checked by axe-core and saved at 1280 and 390 px</h1>
<nav><ul>${states.map((s) => `<li><a href="#${escape(s)}">${escape(s)}</a></li>`).join('')}</ul></nav>
${rows.join('\n')}
${others.length ? `<h2>Other screenshots</h2><ul>${others.map((f) => `<li><a href="${escape(f)}">${escape(f)}</a></li>`).join('')}</ul>` : ''}
</body></html>
`;
  writeFileSync(path.join(SCREENSHOT_DIR, 'index.html'), html);
}
