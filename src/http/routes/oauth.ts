import type { Next } from 'koa';
import { hatAddress } from '../../config.js';
import type { Services } from '../../services/index.js';
import type { HatRecord } from '../../store/ports.js';
import type { PageRender } from '../app.js';
import { isLoggedIn } from '../browser-login.js';
import type { AppContext, AppRouter } from '../context.js';
import { errorPage } from '../oidc/errors.js';
import { INTERACTION_PREFIX, isBackChannel, OAUTH_PREFIX, setOwnerLogin } from '../oidc/provider.js';
import { ProviderCache } from '../oidc/providers.js';
import { sessionOf } from '../session.js';

import { oauthConsentRoutes } from './pages/oauth-consent.js';
import { oauthLoginRoutes } from './pages/oauth-login.js';

/** Our login and consent pages as oidc-provider's interactions (SPEC 12): same look, CSRF, throttle, log. */
export function oauthInteractionRoutes(router: AppRouter, services: Services, cache: ProviderCache): void {
  oauthLoginRoutes(router, services, cache);
  oauthConsentRoutes(router, services, cache);
}

const DISCOVERY = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);

/** Paths that belong to the HAT's OAuth provider (our interaction pages excepted). */
export function isProviderPath(path: string): boolean {
  return DISCOVERY.has(path) || (path.startsWith(OAUTH_PREFIX) && !path.startsWith(INTERACTION_PREFIX));
}

/** The HATs' providers, with this server's error page for what must never be redirected. */
export function oauthProviders(services: Services, render: PageRender): ProviderCache {
  const { config } = services;
  return new ProviderCache(
    {
      config,
      hats: services.hats,
      oauth: services.oauth,
      emails: services.emails,
      keys: services.keys,
      registry: services.registry,
      async renderError(ctx, out, err, hat: HatRecord) {
        const shown = errorPage(err as Parameters<typeof errorPage>[0], out);
        ctx.type = 'html';
        ctx.body = await render('error.njk', {
          status: ctx.status,
          title: shown.title,
          cause: shown.cause,
          hint: 'The website that sent you here made a request this HAT cannot accept. Nothing was sent back to it.',
          hatAddress: hatAddress(config, hat.name),
        });
      },
      log: services.log,
    },
    { size: config.oidcProviderCache, registryFreshnessMs: config.revisionCheckMs },
  );
}

/**
 * Hands the provider's paths on a HAT host to that HAT's Provider (a Koa app of its own);
 * everything else goes on to our routes. The owner's browser login travels with the request,
 * so that the provider's login prompt follows the HAT's own session.
 */
export function oauthMount(cache: ProviderCache) {
  return async function toProvider(ctx: AppContext, next: Next): Promise<void> {
    if (ctx.state.tenant.kind !== 'hat' || !isProviderPath(ctx.path)) return next();
    const hat = ctx.state.tenant.hat;
    // Only the authorization endpoint asks; the back channel has no browser session (session.ts).
    if (!isBackChannel(ctx.path)) setOwnerLogin(ctx.req, { loggedInAt: isLoggedIn(ctx) ? (sessionOf(ctx)?.loggedInAt ?? 0) : undefined });
    const { handle } = await cache.get(hat);
    // The provider answers on the raw response; Koa must not answer a second time.
    ctx.respond = false;
    await handle(ctx.req, ctx.res);
    ctx.status = ctx.res.statusCode;
  };
}
