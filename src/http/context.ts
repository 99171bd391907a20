import type { ParameterizedContext } from 'koa';
import type Router from '@koa/router';
import type { Principal } from '../services/authentication.js';
import type { HatRecord } from '../store/ports.js';

/** Which part of the cluster a request is for, decided by its Host alone (SPEC 2). */
export type Tenant = { kind: 'cluster' } | { kind: 'hat'; hat: HatRecord; address: string };

export interface AppState {
  tenant: Tenant;
  /** Set by `authenticate` on API routes that need a token. */
  principal?: Principal;
  /** The CSRF token to put in this page's forms. */
  csrfToken?: string;
  /** SESSION_MAX_AGE_DAYS in ms, set by the session middleware: no login outlives it (SPEC 7). */
  sessionMaxAgeMs?: number;
}

export type AppContext = ParameterizedContext<AppState>;
export type AppRouter = Router<AppState>;

/** The HAT of a request on a HAT host; route modules mounted on the HAT router can rely on it. */
export function hatOf(ctx: AppContext): HatRecord {
  if (ctx.state.tenant.kind !== 'hat') throw new Error('hatOf() used on a cluster route');
  return ctx.state.tenant.hat;
}

export function principalOf(ctx: AppContext): Principal {
  if (!ctx.state.principal) throw new Error('principalOf() used on a route without authenticate()');
  return ctx.state.principal;
}

/** 303 See Other: after a form post, the browser fetches `url` with GET. */
export function seeOther(ctx: AppContext, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}
