import type { Services } from '../../services/index.js';
import { authenticate, ownerOnly } from '../authenticate.js';
import { type AppContext, type AppRouter, hatOf } from '../context.js';

const BASE = '/api/v2.6/applications';

/** The owner's applications on a HAT (SPEC 5): status, consent, revocation, application tokens. */
export function applicationRoutes(router: AppRouter, services: Services): void {
  const owner = [authenticate(services), ownerOnly] as const;
  const apps = services.applications;
  const id = (ctx: AppContext) => String((ctx.params as Record<string, unknown>).id ?? '');
  const change = (ctx: AppContext) => ({ via: 'api' as const, clientIp: ctx.ip });

  router.get(BASE, ...owner, async (ctx) => {
    ctx.body = await apps.statusFor(hatOf(ctx));
  });
  router.get(`${BASE}/:id`, ...owner, async (ctx) => {
    ctx.body = await apps.status(hatOf(ctx), id(ctx));
  });
  router.post(`${BASE}/:id/setup`, ...owner, async (ctx) => {
    ctx.body = await apps.enable(hatOf(ctx), id(ctx), change(ctx));
  });
  router.post(`${BASE}/:id/disable`, ...owner, async (ctx) => {
    ctx.body = await apps.disable(hatOf(ctx), id(ctx), change(ctx));
  });
  router.get(`${BASE}/:id/access-token`, ...owner, async (ctx) => {
    const issued = await apps.accessToken(hatOf(ctx), id(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { accessToken: issued.token, userId: issued.claims.sub };
  });
}
