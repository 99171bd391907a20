import type { Next } from 'koa';
import { hatAddress, type Config } from '../config.js';
import { NotFound } from '../errors.js';
import type { HatDirectory } from '../services/hats.js';
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
    if (clusterHosts.has(host)) {
      ctx.state.tenant = { kind: 'cluster' };
      return next();
    }
    const name = host.endsWith(suffix) ? host.slice(0, -suffix.length) : '';
    const hat = name && !name.includes('.') ? await hats.find(name) : null;
    if (!hat) throw new NotFound(`There is no HAT at ${host || 'this address'}`, 'HAT unavailable');
    ctx.state.tenant = { kind: 'hat', hat, address: hatAddress(config, hat.name) };
    return next();
  };
}
