import type { Services } from '../../../services/index.js';
import { readJson } from '../../body.js';
import type { AppRouter } from '../../context.js';

/** POST /api/signup on the cluster host (SPEC 9). */
export function signupRoutes(router: AppRouter, services: Services): void {
  router.post('/api/signup', async (ctx) => {
    const created = await services.signup.create(await readJson(ctx), ctx.ip);
    ctx.status = 201;
    ctx.body = created;
  });
}
