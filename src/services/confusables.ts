/**
 * Names that look alike (SPEC 6.9): a small, pure version of Unicode's confusable "skeleton"
 * (UTS #39), enough to stop a generic service from calling itself by a registered application's
 * id or name in other letters. Two names are confusable when their skeletons are equal.
 *
 * skeleton = NFKC (fullwidth, mathematical and compatibility forms), full case folding, marks
 * removed (é → e), look-alike capitals mapped first (Greek `Μ` → `M`), invisible characters and the separators people do not read (spaces, hyphens,
 * dots, underscores) removed, then each character mapped to its Latin prototype (Cyrillic `а`,
 * Greek `ο`, digit `0` → `a`, `o`, `o`), then the common multi-letter look-alikes (`rn` → `m`).
 * The table is deliberately short and errs towards "looks alike": it only ever refuses a
 * generic service's self-given name, never an application.
 */

/** Characters that show nothing, or nothing a person notices, beyond Unicode's format class. */
export const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/** Separators removed before comparing: `my-diary`, `my diary` and `my.diary` read alike. */
const SEPARATORS = /[\p{Zs}\p{Pd}_.·・'’`]/gu;

/** Capitals that look like a Latin capital, mapped before case folding (Greek `Μ` is an M, `μ` a u). */
const CAPITALS: Record<string, string> = {
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', Ѕ: 'S', І: 'I', Ј: 'J', Ү: 'Y',
};

/** Single characters and their Latin prototypes (after NFKC and case folding). */
const PROTOTYPES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', ѐ: 'e', г: 'r', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', л: 'n', м: 'm', н: 'h', о: 'o',
  п: 'n', р: 'p', с: 'c', т: 't', у: 'y', ў: 'y', х: 'x', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', ɡ: 'g', ь: 'b', ъ: 'b',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', ς: 'c', τ: 't', υ: 'u',
  χ: 'x', ω: 'w', ϲ: 'c', ϳ: 'j',
  // Latin look-alikes and digits
  ı: 'i', ȷ: 'j', ℓ: 'l', ɩ: 'i', ɑ: 'a', ɔ: 'c', ʀ: 'r', ʏ: 'y', ᴅ: 'd', ᴠ: 'v', ᴡ: 'w', ꮃ: 'w',
  '0': 'o', '1': 'l', '|': 'l', '5': 's', '$': 's', '@': 'a',
};

/** Sequences that read as one letter, applied after the single characters. */
const SEQUENCES: Array<[RegExp, string]> = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/cl/g, 'd'],
];

/** Full case folding, near enough: `ß` → `ss`, `ǅ` → `dž`, `ſ` → `s`. */
function caseFold(text: string): string {
  return text.toUpperCase().toLowerCase();
}

/** The skeleton two confusable names share. */
export function skeleton(name: string): string {
  let capitals = '';
  for (const ch of name.normalize('NFKC')) capitals += CAPITALS[ch] ?? ch;
  const folded = caseFold(capitals).normalize('NFKC');
  const bare = folded.normalize('NFD').replace(/\p{M}/gu, '').replace(INVISIBLE_ALL, '').replace(SEPARATORS, '');
  let mapped = '';
  for (const ch of bare) mapped += PROTOTYPES[ch] ?? ch;
  for (const [pattern, prototype] of SEQUENCES) mapped = mapped.replace(pattern, prototype);
  return mapped;
}

export function confusable(a: string, b: string): boolean {
  return skeleton(a) === skeleton(b);
}
