import { Readable } from 'node:stream';
import type { Services } from '../../../services/index.js';
import { isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppRouter } from '../../context.js';
import { exportedEntry } from '../../dashboard-view.js';
import { flash } from '../../pages/flash.js';

/** GET /activity.json on a HAT host (SPEC 7): the whole activity log, for the logged-in owner. */
export function dashboardActivityRoutes(router: AppRouter, services: Services): void {
  router.get('/activity.json', async (ctx) => {
    if (!isLoggedIn(ctx)) {
      flash(ctx, 'info', 'Please log in to download your activity log.');
      return seeOther(ctx, '/');
    }
    const hat = hatOf(ctx);
    const address = ctx.state.tenant.kind === 'hat' ? ctx.state.tenant.address : '';
    const exportedAt = new Date().toISOString();
    const batches = services.dashboard.activityExport(hat);
    async function* json() {
      yield `{"hat":${JSON.stringify(address)},"exportedAt":${JSON.stringify(exportedAt)},"entries":[`;
      let first = true;
      for await (const batch of batches) {
        for (const entry of batch) {
          yield (first ? '\n' : ',\n') + JSON.stringify(exportedEntry(entry));
          first = false;
        }
      }
      yield '\n]}\n';
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="activity-${hat.name}-${exportedAt.slice(0, 10)}.json"`);
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = Readable.from(json());
  });
}
