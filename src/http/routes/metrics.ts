import type { Services } from '../../services/index.js';
import type { AppRouter } from '../context.js';
import { adminOnly } from './admin.js';

/** GET /metrics (SPEC 9): Prometheus text format, behind the admin bearer; absent with METRICS=false. */
export function metricsRoutes(router: AppRouter, services: Services): void {
  if (!services.metrics.enabled) return;
  router.get('/metrics', adminOnly(services.config.adminToken), async (ctx) => {
    const { contentType, body } = await services.metrics.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });
}
