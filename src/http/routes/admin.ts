import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import { NotAuthenticated, Titles } from '../../errors.js';
import { registryView } from '../../services/application-model.js';
import type { Services } from '../../services/index.js';
import { readJson } from '../body.js';
import type { AppContext, AppRouter } from '../context.js';

const BASE = '/api/admin/applications';
/** A HAT manifest with its data bundles and screenshots can be larger than an ordinary body. */
const MAX_REGISTRATION_BYTES = 256 * 1024;

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time: both sides are hashed first,
 * so neither the content nor the length of the token leaks through timing.
 */
export function adminOnly(adminToken: string) {
  const expected = createHash('sha256').update(adminToken).digest();
  return async function requireAdmin(ctx: AppContext, next: Next): Promise<void> {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(ctx.get('Authorization'));
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(given, expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="hat-admin"');
      throw new NotAuthenticated(
        match ? 'The admin token is not valid' : 'This API needs Authorization: Bearer <ADMIN_TOKEN>',
        { title: Titles.notAuthenticated },
      );
    }
    return next();
  };
}

/**
 * The cluster's application registry (SPEC 9), for operators. POST creates, PUT replaces; either
 * takes a compact registration or a HAT manifest, and every answer shows the manifest.
 */
export function adminRoutes(router: AppRouter, services: Services): void {
  const admin = adminOnly(services.config.adminToken);
  const registry = services.registry;
  const id = (ctx: AppContext) => String((ctx.params as Record<string, unknown>).id ?? '');

  router.get(BASE, admin, async (ctx) => {
    ctx.body = (await registry.list()).map(registryView);
  });
  router.post(BASE, admin, async (ctx) => {
    ctx.status = 201;
    ctx.body = registryView(await registry.create(await readJson(ctx, { limit: MAX_REGISTRATION_BYTES })));
  });
  router.get(`${BASE}/:id`, admin, async (ctx) => {
    ctx.body = registryView(await registry.get(id(ctx)));
  });
  router.put(`${BASE}/:id`, admin, async (ctx) => {
    ctx.body = registryView(await registry.replace(id(ctx), await readJson(ctx, { limit: MAX_REGISTRATION_BYTES })));
  });
  router.delete(`${BASE}/:id`, admin, async (ctx) => {
    const { grantsRemoved } = await registry.remove(id(ctx));
    ctx.body = { message: 'Application removed', id: id(ctx), grantsRemoved };
  });
  // SPEC 12: the OAuth client secret, shown once; a new one ends the old one.
  router.post(`${BASE}/:id/client-secret`, admin, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = await services.oauth.clients.issueSecret(id(ctx));
  });
}
