import { InvalidInput } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { readJson } from '../body.js';
import type { AppContext, AppRouter } from '../context.js';
import { adminOnly } from './admin.js';

const BASE = '/api/admin/hats';

/** The operator's HAT administration (SPEC 9), behind the admin bearer; `npm run hats` does the same. */
export function adminHatRoutes(router: AppRouter, services: Services): void {
  const admin = adminOnly(services.config.adminToken);
  const hats = services.hatAdmin;
  const name = (ctx: AppContext) => String((ctx.params as Record<string, unknown>).name ?? '');

  router.get(BASE, admin, async (ctx) => {
    ctx.body = await hats.list({ skip: whole(ctx.query.skip, 'skip'), take: whole(ctx.query.take, 'take') });
  });
  router.get(`${BASE}/:name`, admin, async (ctx) => {
    ctx.body = await hats.show(name(ctx));
  });
  router.post(`${BASE}/:name/disable`, admin, async (ctx) => {
    ctx.body = await hats.setDisabled(name(ctx), true);
  });
  router.post(`${BASE}/:name/enable`, admin, async (ctx) => {
    ctx.body = await hats.setDisabled(name(ctx), false);
  });
  router.post(`${BASE}/:name/keys/rotate`, admin, async (ctx) => {
    ctx.body = await hats.rotateKey(name(ctx), { revoke: await revokeOption(ctx) });
  });
  router.delete(`${BASE}/:name`, admin, async (ctx) => {
    ctx.body = { message: 'HAT deleted', ...(await hats.delete(name(ctx))) };
  });
}

/** `{"revoke": true}` is optional: no body at all means an ordinary rotation. */
async function revokeOption(ctx: AppContext): Promise<boolean> {
  if (!ctx.request.length && !ctx.get('Transfer-Encoding')) return false;
  const body = await readJson(ctx);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidInput('The body must be a JSON object');
  const { revoke } = body as { revoke?: unknown };
  if (revoke !== undefined && typeof revoke !== 'boolean') throw new InvalidInput('revoke must be true or false', { field: 'revoke' });
  return revoke === true;
}

function whole(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) throw new InvalidInput(`${field} must be a whole number`, { field });
  return Number(value);
}
