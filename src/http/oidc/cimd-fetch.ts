import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isSpecialUseIP } from 'oidc-provider/lib/helpers/fetch_request.js';

/**
 * How oidc-provider fetches a Client ID Metadata Document (SPEC 12): the library already limits it
 * to https, 5 KB (fetchResponseBodyLimits), 2.5 s and no redirects, and in production its own
 * dispatcher refuses every private, link-local and loopback address (SSRF). Outside production a
 * developer (and the tests) must be able to serve a document from https://localhost, so there
 * the dispatcher is ours: loopback is allowed, every other special-use address still refused.
 * Either way the answer's caching terms are put in the words the library reads (`cacheTerms`).
 */
export function cimdFetch(production: boolean) {
  if (production) return async (url: string, options: RequestInit) => withCacheTerms(await fetch(url, options));
  let dispatcher: unknown;
  return async (url: string, options: RequestInit & { dispatcher?: unknown }) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && refused(host)) throw new Error(`${host} is a private or special-use address`);
    dispatcher ??= developmentDispatcher();
    return withCacheTerms(await fetch(url, { ...options, dispatcher } as RequestInit));
  };
}

/** How long a document that says nothing about caching is reused (heuristic freshness, RFC 9111 4.2.2). */
export const CIMD_HEURISTIC_SECONDS = 30;

/**
 * oidc-provider caches a document for its `max-age` (else until `Expires`, else its minimum),
 * clamped to `cacheDuration`; it does not read `no-store` or `no-cache`. With a minimum of 0
 * (provider.ts), this says those as `max-age=0` (fetched again every time: we never revalidate),
 * and gives a document with no caching terms at all a short heuristic freshness instead of none.
 * Returns the Cache-Control value to show the library, or null to leave the answer as it is.
 */
export function cacheTerms(cacheControl: string | null, expires: string | null): string | null {
  const directives = (cacheControl ?? '').toLowerCase().split(',').map((d) => d.trim().split('=')[0]);
  if (directives.includes('no-store') || directives.includes('no-cache')) return 'max-age=0';
  if (directives.includes('max-age') || expires !== null) return null;
  return `max-age=${CIMD_HEURISTIC_SECONDS}`;
}

function withCacheTerms(response: Response): Response {
  // Only a 200 is cached (anything else is refused); a redirect answer stays untouched.
  if (response.status !== 200) return response;
  const terms = cacheTerms(response.headers.get('cache-control'), response.headers.get('expires'));
  if (terms === null) return response;
  const headers = new Headers(response.headers);
  headers.set('cache-control', terms);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function refused(address: string): boolean {
  return isSpecialUseIP(address) && !isLoopback(address);
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Node's own undici Agent (the global dispatcher's class), resolving names through a checked lookup. */
function developmentDispatcher(): unknown {
  void Response; // makes Node load undici, which installs the global dispatcher
  const g = globalThis as unknown as Record<symbol, { constructor: new (o: object) => unknown } | undefined>;
  const Agent = (g[Symbol.for('undici.globalDispatcher.2')] ?? g[Symbol.for('undici.globalDispatcher.1')])?.constructor;
  if (!Agent) throw new Error('no undici Agent available for fetching client metadata documents');
  return new Agent({ connect: { lookup: checkedLookup } });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function checkedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => refused(a.address));
    if (bad) return callback(Object.assign(new Error(`${hostname} resolves to a private or special-use address`), { code: 'EAI_FAIL' }), []);
    const all = (options as { all?: boolean }).all;
    if (all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
