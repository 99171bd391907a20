import type { Next } from 'koa';
import { NotAllowed, NotAuthenticated } from '../errors.js';
import { refusalCause } from '../metrics.js';
import type { Services } from '../services/index.js';
import { looksOpaque, type Presented } from '../services/oidc/index.js';
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
    const oauth = oauthPresented(ctx, services);
    if (oauth) {
      ctx.state.principal = await services.oauth.authenticate(hat, oauth);
      return next();
    }
    const token = ctx.get('X-Auth-Token') || queryValue(ctx, 'X-Auth-Token') || queryValue(ctx, 'access_token');
    if (token) {
      try {
        ctx.state.principal = services.auth.remembered(hat, token) ?? (await services.auth.authenticate(hat, token));
      } catch (err) {
        if (err instanceof NotAuthenticated) services.metrics.tokenRefused(refusalCause(err.detail));
        throw err;
      }
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
    services.metrics.tokenRefused('missing');
    throw new NotAuthenticated('No token was supplied (X-Auth-Token header or query parameter)');
  };
}

/**
 * An OAuth access token of this HAT's provider (SPEC 12): `Authorization: Bearer` or `DPoP` (with
 * its `DPoP` proof header), or an opaque token in X-Auth-Token (our own tokens are JWTs).
 */
function oauthPresented(ctx: AppContext, services: Services): Presented | null {
  const authorization = ctx.get('Authorization');
  const m = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization);
  const header = ctx.get('X-Auth-Token');
  if (!m && !(header && looksOpaque(header))) return null;
  const tenant = ctx.state.tenant;
  const address = tenant.kind === 'hat' ? tenant.address : ctx.host;
  return {
    token: m ? m[2]! : header,
    scheme: m ? (m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer') : 'X-Auth-Token',
    proof: ctx.get('DPoP') || undefined,
    method: ctx.method,
    url: `${services.config.publicScheme}://${address}${ctx.path}`,
    clientIp: ctx.ip,
  };
}

/** Only the owner may go on (403 for application and validate tokens). */
export async function ownerOnly(ctx: AppContext, next: Next): Promise<void> {
  if (ctx.state.principal?.scope !== 'owner') {
    throw new NotAllowed('Only the HAT owner may do this');
  }
  return next();
}
