import { hatStatusView, toManifest } from '../../services/application-model.js';
import type { Services } from '../../services/index.js';
import { authenticate, ownerOnly } from '../authenticate.js';
import { type AppContext, type AppRouter, hatOf } from '../context.js';

const BASE = '/api/v2.6/applications';

/**
 * The owner's applications on a HAT (SPEC 5): status, consent, revocation, application tokens.
 * Statuses are the original HAT's objects, with the application as its manifest, so that the
 * HAT SDKs read them unchanged.
 */
export function applicationRoutes(router: AppRouter, services: Services): void {
  const owner = [authenticate(services), ownerOnly] as const;
  const apps = services.applications;
  const id = (ctx: AppContext) => String((ctx.params as Record<string, unknown>).id ?? '');
  const change = (ctx: AppContext) => ({ via: 'api' as const, clientIp: ctx.ip });

  router.get(BASE, ...owner, async (ctx) => {
    ctx.body = (await apps.statusFor(hatOf(ctx))).map(hatStatusView);
  });
  router.get(`${BASE}/:id`, ...owner, async (ctx) => {
    ctx.body = hatStatusView(await apps.status(hatOf(ctx), id(ctx)));
  });
  // The manifest, for anyone: what the application is and asks for is public (the original
  // HAT served it without a token, for its consent screen).
  router.get(`${BASE}/:id/hmi`, async (ctx) => {
    ctx.body = toManifest(await services.registry.get(id(ctx)));
  });
  // GET is the original HAT's form of /setup and /disable, kept for its clients (SPEC 5). Either
  // needs the owner's token (the browser's session cookie never counts), so a link or an image
  // on another site cannot trigger them.
  for (const method of ['get', 'post'] as const) {
    router[method](`${BASE}/:id/setup`, ...owner, async (ctx) => {
      ctx.body = hatStatusView(await apps.enable(hatOf(ctx), id(ctx), change(ctx)));
    });
    router[method](`${BASE}/:id/disable`, ...owner, async (ctx) => {
      ctx.body = hatStatusView(await apps.disable(hatOf(ctx), id(ctx), change(ctx)));
    });
  }
  router.get(`${BASE}/:id/access-token`, ...owner, async (ctx) => {
    const issued = await apps.accessToken(hatOf(ctx), id(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { accessToken: issued.token, userId: issued.claims.sub };
  });
}
