import type { Next } from 'koa';
import { NotAllowed, NotAuthenticated } from '../errors.js';
import type { Services } from '../services/index.js';
import { type AppContext, hatOf } from './context.js';

function queryValue(ctx: AppContext, name: string): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
}

/**
 * Authenticates an API request (SPEC 5), trying in order: the X-Auth-Token header; the
 * X-Auth-Token or access_token query parameter; the legacy username and pass query parameters
 * (owner only, unless ALLOW_QUERY_CREDENTIALS=false). The browser's session cookie never counts.
 */
export function authenticate(services: Services) {
  return async function requireToken(ctx: AppContext, next: Next): Promise<void> {
    const hat = hatOf(ctx);
    const token = ctx.get('X-Auth-Token') || queryValue(ctx, 'X-Auth-Token') || queryValue(ctx, 'access_token');
    if (token) {
      ctx.state.principal = services.auth.remembered(hat, token) ?? (await services.auth.authenticate(hat, token));
      return next();
    }
    const username = queryValue(ctx, 'username');
    const pass = queryValue(ctx, 'pass');
    if (username && pass) {
      if (!services.config.allowQueryCredentials) {
        throw new NotAuthenticated('The username and pass query parameters are not accepted on this server; send a token');
      }
      try {
        await services.owners.login(hat, username, pass, { clientIp: ctx.ip, via: 'api' });
      } catch (err) {
        // Same title as every other refused credential on an API call (SPEC 5).
        if (err instanceof NotAuthenticated) throw new NotAuthenticated(err.detail, { cause: err });
        throw err;
      }
      ctx.state.principal = services.auth.ownerByPassword(hat);
      return next();
    }
    throw new NotAuthenticated('No token was supplied (X-Auth-Token header or query parameter)');
  };
}

/** Only the owner may go on (403 for application and validate tokens). */
export async function ownerOnly(ctx: AppContext, next: Next): Promise<void> {
  if (ctx.state.principal?.scope !== 'owner') {
    throw new NotAllowed('Only the HAT owner may do this');
  }
  return next();
}
