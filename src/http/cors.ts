import type { Next } from 'koa';
import type { AppContext } from './context.js';

/*
 * Cross-origin calls to a HAT's token API. The original HAT allowed them, and its JavaScript SDK
 * (@dataswift/hat-js) runs inside websites of other origins: without these headers a browser
 * would not let such a website read a single answer.
 *
 * Opening these paths to every origin gives a website nothing it could not do from its own
 * server: they authenticate only with a token the caller sends itself (X-Auth-Token), never with
 * a cookie, and no credentials are allowed cross-origin. Two things stay closed: password logins
 * (`/users/access_token`, and the legacy `?username=&pass=` on any path), so that a website
 * cannot use its visitors' browsers to try passwords and read the outcome; and every page.
 */

const OPEN_PATHS = [/^\/api\/v2\.6\//, /^\/users\/access_token\/validate$/, /^\/publickey$/, /^\/\.well-known\/jwks\.json$/];
const METHODS = 'GET, POST, PUT, DELETE';
const REQUEST_HEADERS = 'X-Auth-Token, Content-Type';

function isOpen(ctx: AppContext): boolean {
  return (
    ctx.state.tenant.kind === 'hat' &&
    OPEN_PATHS.some((p) => p.test(ctx.path)) &&
    ctx.query.pass === undefined &&
    ctx.query.password === undefined
  );
}

/** Runs after tenancy: only HAT hosts' API paths are opened; a preflight is answered here. */
export function crossOriginApi() {
  return async function cors(ctx: AppContext, next: Next): Promise<void> {
    if (!ctx.get('Origin') || !isOpen(ctx)) return next();
    ctx.set('Access-Control-Allow-Origin', '*');
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.set('Access-Control-Allow-Methods', METHODS);
      ctx.set('Access-Control-Allow-Headers', REQUEST_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', 'X-Auth-Token');
    return next();
  };
}
