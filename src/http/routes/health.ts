import type { Services } from '../../services/index.js';
import type { AppRouter } from '../context.js';

/** GET /healthz on every host: 200 when the datastore answers, 503 when it does not. */
export function healthRoutes(router: AppRouter, services: Services): void {
  router.get('/healthz', async (ctx) => {
    try {
      await services.ping();
      ctx.body = { status: 'ok', store: services.storeKind };
    } catch {
      ctx.status = 503;
      ctx.body = { message: 'Service Unavailable', cause: 'The datastore is not answering' };
    }
  });
}
