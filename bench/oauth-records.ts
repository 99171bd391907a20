/**
 * The records both sides of the OAuth data-API benchmark read (bench/oauth.ts writes them to the
 * HAT through the data API, bench/oauth-standalone.ts straight into its own records table).
 */
export const BENCH_RECORDS = 20;
export const BENCH_ENDPOINT = 'bench/items';

/** The data of the i-th record. */
export function benchRecordData(i: number): Record<string, unknown> {
  return { n: i, title: `Bench record ${i}`, tags: ['bench', 'oauth'], done: i % 2 === 0 };
}
