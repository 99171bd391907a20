import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * WCAG 2.2 SC 1.4.11 (non-text contrast): the focus outline and the input border need 3:1 against
 * what is next to them — the white cards and the grey page. Computed from the CSS as shipped, so a
 * colour changed in public/css/base.css is checked here.
 */
const CSS = readFileSync(path.resolve('public/css/base.css'), 'utf8');

function variable(name: string): string {
  const found = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})\\s*;`).exec(CSS);
  assert.ok(found, `base.css defines --${name} as a #rrggbb colour`);
  return found[1]!;
}

/** Relative luminance (WCAG 2). */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const linear = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r!) + 0.7152 * linear(g!) + 0.0722 * linear(b!);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** The declarations of the first rule whose selector list contains `selector`. */
function rule(selector: string): string {
  for (const match of CSS.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    if (match[1]!.split(',').some((s) => s.trim() === selector)) return match[2]!;
  }
  assert.fail(`base.css has a rule for ${selector}`);
}

describe('non-text contrast of the page chrome (WCAG 1.4.11)', () => {
  const backgrounds = { 'white (cards)': variable('surface'), 'grey (page)': variable('bg') };

  it('knows the formula (black on white is 21:1, the old amber outline 2.01:1)', () => {
    assert.equal(contrast('#000000', '#ffffff').toFixed(0), '21');
    assert.equal(contrast('#f2a900', '#ffffff').toFixed(2), '2.01');
  });

  it('the focus outline is drawn in --focus, at least 3:1 against white and the grey page', () => {
    assert.match(rule(':focus-visible'), /outline:\s*\d+px solid var\(--focus\)/);
    for (const [name, bg] of Object.entries(backgrounds)) {
      const ratio = contrast(variable('focus'), bg);
      assert.ok(ratio >= 3, `focus outline on ${name}: ${ratio.toFixed(2)}:1`);
    }
  });

  it('text inputs have a border in --input-border, at least 3:1 against white and the grey page', () => {
    assert.match(rule('input[type="password"]'), /border:\s*1px solid var\(--input-border\)/);
    for (const [name, bg] of Object.entries(backgrounds)) {
      const ratio = contrast(variable('input-border'), bg);
      assert.ok(ratio >= 3, `input border on ${name}: ${ratio.toFixed(2)}:1`);
    }
  });
});
