import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isSpecialUseIP } from 'oidc-provider/lib/helpers/fetch_request.js';

/**
 * How oidc-provider fetches a Client ID Metadata Document (SPEC 12): the library already limits it
 * to https, 5 KB (fetchResponseBodyLimits), 2.5 s and no redirects, and in production its own
 * dispatcher refuses every private, link-local and loopback address (SSRF). Outside production a
 * developer (and the tests) must be able to serve a document from https://localhost, so there
 * the dispatcher is ours: loopback is allowed, every other special-use address still refused.
 */
export function cimdFetch(production: boolean) {
  if (production) return (url: string, options: RequestInit) => fetch(url, options);
  let dispatcher: unknown;
  return async (url: string, options: RequestInit & { dispatcher?: unknown }) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && refused(host)) throw new Error(`${host} is a private or special-use address`);
    dispatcher ??= developmentDispatcher();
    return fetch(url, { ...options, dispatcher } as RequestInit);
  };
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
