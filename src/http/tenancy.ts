import type { Next } from 'koa';
import { hatAddress, type Config } from '../config.js';
import { InvalidInput, NotFound, Titles } from '../errors.js';
import { type HatDirectory, hatNameProblem } from '../services/hats.js';
import type { AppContext } from './context.js';

/**
 * Binds each request to the cluster or to one HAT by its Host header (SPEC 2); Koa honours
 * X-Forwarded-Host only when the app trusts the proxy (TRUST_PROXY). A host that is neither
 * gets 404 and learns nothing about any HAT.
 */
export function tenancy(config: Config, hats: HatDirectory) {
  const suffix = '.' + config.hatDomain;
  const clusterHosts = new Set([config.hatDomain, 'localhost', '127.0.0.1', '[::1]']);
  return async function bindTenant(ctx: AppContext, next: Next): Promise<void> {
    const host = ctx.hostname.toLowerCase().replace(/\.$/, '');
    if (!host) throw new InvalidInput('The request has no Host header, and only the Host says which HAT is meant', { field: 'Host' });
    // Two Host headers could be read differently by a proxy in front and by us: refuse, never guess.
    if (headerCount(ctx, 'host') > 1) throw new InvalidInput('The request has more than one Host header', { field: 'Host' });
    checkHostHeaders(ctx, config.trustProxy);
    if (clusterHosts.has(host)) {
      ctx.state.tenant = { kind: 'cluster' };
      return next();
    }
    const name = host.endsWith(suffix) ? host.slice(0, -suffix.length) : '';
    // A name that can never be a HAT is not looked up: random Host headers must not fill the cache.
    let hat = name && !name.includes('.') && hatNameProblem(name) === null ? hats.fresh(name) : null;
    if (hat === undefined) hat = await hats.find(name);
    if (!hat) throw new NotFound(`There is no HAT at ${host || 'this address'}`, { title: Titles.hatUnavailable });
    ctx.state.tenant = { kind: 'hat', hat, address: hatAddress(config, hat.name) };
    return next();
  };
}

function headerCount(ctx: AppContext, name: string): number {
  const raw = ctx.req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count++;
  return count;
}

/** `name[:port]` or `[v6][:port]`: nothing else is a host (no list, no user-info, no path). */
const HOST_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * A Host that a proxy, a cache and we could each read differently is refused (400), never
 * guessed at: a comma list, an `@`, anything but one host and port; a request target in
 * absolute form (`GET http://a/ HTTP/1.1`) naming another host than Host; and, behind a
 * trusted proxy, more than one X-Forwarded-Host value.
 */
function checkHostHeaders(ctx: AppContext, trustProxy: boolean): void {
  const host = ctx.req.headers.host ?? '';
  if (host !== '' && !HOST_VALUE.test(host)) throw new InvalidInput('The Host header must name exactly one host (and port)', { field: 'Host' });
  const target = ctx.req.url ?? '';
  if (!target.startsWith('/') && target !== '*') {
    let targetHost: string;
    try {
      targetHost = new URL(target).host;
    } catch {
      throw new InvalidInput('The request target is not a valid URL', { field: 'Host' });
    }
    if (targetHost.toLowerCase() !== host.toLowerCase()) {
      throw new InvalidInput('The request target names another host than the Host header', { field: 'Host' });
    }
  }
  if (!trustProxy) return;
  const forwarded = ctx.req.headers['x-forwarded-host'];
  if (forwarded === undefined) return;
  if (headerCount(ctx, 'x-forwarded-host') > 1 || typeof forwarded !== 'string' || !HOST_VALUE.test(forwarded.trim())) {
    throw new InvalidInput('X-Forwarded-Host must hold exactly one host (and port)', { field: 'X-Forwarded-Host' });
  }
}
