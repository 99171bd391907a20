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
    if (hostHeaders(ctx) > 1) throw new InvalidInput('The request has more than one Host header', { field: 'Host' });
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

function hostHeaders(ctx: AppContext): number {
  const raw = ctx.req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') count++;
  return count;
}
