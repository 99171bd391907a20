import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

/**
 * Node does not resolve `*.localhost` (browsers do, SPEC 2). A client that uses Node's own
 * `fetch` — the HAT SDK does — can reach `alice.hat.localhost:<port>` once fetch's dispatcher
 * connects such names to 127.0.0.1; the Host header, the URL and everything else stay as the
 * client made them.
 */
export const localhostLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all) (callback as (err: null, addresses: dns.LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(hostname, options, callback as never);
};

// Node's fetch is undici inside Node; undici keeps its global dispatcher under this symbol.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
type DispatcherHolder = Record<symbol, { constructor: new (options: object) => { close(): Promise<void> } } | undefined>;

/**
 * Installs, for the rest of the process (or until the returned function is called), a global
 * fetch dispatcher whose connections resolve `*.localhost` with `localhostLookup`. Node bundles
 * undici without exporting it, so its Agent class is taken from the default dispatcher, which
 * Node creates on first use.
 */
export async function resolveLocalhostInFetch(): Promise<() => Promise<void>> {
  const holder = globalThis as unknown as DispatcherHolder;
  if (!holder[GLOBAL_DISPATCHER]) await fetch('data:,').catch(() => undefined);
  const previous = holder[GLOBAL_DISPATCHER];
  if (!previous) throw new Error("Node's fetch has no global dispatcher to take the Agent class from");
  const Agent = previous.constructor;
  const agent = new Agent({ connect: { lookup: localhostLookup } });
  holder[GLOBAL_DISPATCHER] = agent as never;
  return async () => {
    holder[GLOBAL_DISPATCHER] = previous;
    await agent.close();
  };
}
