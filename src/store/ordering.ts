/**
 * Ordering records by a field of their opaque JSON text, with exactly the semantics of the SQLite
 * adapter's `ORDER BY (v IS NULL), v <dir>, seq <dir>` over `json_extract(json, '$."a"."b"')`.
 * An adapter that cannot query inside the text (MongoDB keeps it as a string, so that no key in it
 * can ever act as an operator or a path) sorts in memory with this.
 *
 * What json_extract yields, and so what is compared:
 * - numbers as numbers, `true`/`false` as the integers 1/0; every number sorts before every text;
 * - strings as text, compared by code point (SQLite's BINARY collation compares UTF-8 bytes,
 *   which is the same order; JavaScript's `<` compares UTF-16 units, which is not);
 * - objects and arrays as their minified JSON text, among the strings;
 * - `null`, a missing field, or a path through something that is not an object: NULL, which the
 *   query puts last in both directions;
 * - ties, in the same direction as the ordering, by insertion order (`seq`).
 *
 * Two differences remain, both only for text that is not in JSON.stringify's canonical form
 * (test/unit/store/ordering.test.ts checks everything else against SQLite itself): SQLite renders an
 * object or array value keeping the original spelling of its escapes and numbers (`"\u0041"`,
 * `1.0`) where this re-renders it (`"A"`, `1`); and with a key repeated in one object SQLite
 * takes the first, JSON.parse the last.
 */

/** What a record sorts by: a number, a text, or null (missing). */
export type SortValue = number | string | null;

export type Direction = 'ascending' | 'descending';

/**
 * The value at a dotted path (segments already restricted to `[A-Za-z0-9_-]` by the service).
 * Only own properties of plain objects are followed, so `__proto__` or `constructor` mean a key
 * of that name in the data, never something inherited; a numeric segment does not index an array,
 * as `$."a"."0"` does not in SQLite.
 */
export function sortValueAt(json: string, path: string): SortValue {
  let current: unknown;
  try {
    current = JSON.parse(json);
  } catch {
    return null;
  }
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return null;
    if (!Object.hasOwn(current, segment)) return null;
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === null || current === undefined) return null;
  if (typeof current === 'boolean') return current ? 1 : 0;
  if (typeof current === 'number' || typeof current === 'string') return current;
  return JSON.stringify(current);
}

/** Code point order, as memcmp over UTF-8 would give. */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Units differ. Only where one of them is a surrogate can UTF-16 order disagree with code
    // point order: a surrogate (an astral character) must then rank above every BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Ascending order of two non-null values: numbers before texts. */
export function compareSortValues(a: string | number, b: string | number): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
    return -1;
  }
  if (typeof b === 'number') return 1;
  return compareText(a, b);
}

/** Sorts in place and returns the array: nulls last in both directions, ties by `seq`. */
export function sortByValue<T extends { value: SortValue; seq: number }>(items: T[], direction: Direction): T[] {
  return items.sort(byValue(direction));
}

/** The order of `sortByValue`, as a comparator (for a bounded top-k, say). */
export function byValue(direction: Direction): (a: { value: SortValue; seq: number }, b: { value: SortValue; seq: number }) => number {
  const sign = direction === 'descending' ? -1 : 1;
  return (a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value !== b.value) return a.value === null ? 1 : -1;
    } else {
      const byValue = compareSortValues(a.value, b.value);
      if (byValue !== 0) return sign * byValue;
    }
    return sign * (a.seq - b.seq);
  };
}
