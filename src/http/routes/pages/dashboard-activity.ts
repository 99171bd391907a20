import { Readable } from 'node:stream';
import { InvalidInput } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { activityView, applicationNames, exportedEntry } from '../../dashboard-view.js';
import { flash } from '../../pages/flash.js';
import { renderPage } from '../../pages/render.js';

/** `?page=` of the activity log: absent means 1; anything but a whole number is a 400. */
export function pageParam(ctx: AppContext): number {
  const raw = ctx.query.page;
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,8}$/.test(raw)) {
    throw new InvalidInput('page must be a whole number from 1 up', { field: 'page' });
  }
  return Number(raw);
}

/**
 * GET /activity on a HAT host (SPEC 7): the whole activity log, a page at a time (the dashboard
 * shows only the newest entries); GET /activity.json: all of it as one download.
 */
export function dashboardActivityRoutes(router: AppRouter, services: Services): void {
  router.get('/activity', async (ctx) => {
    const page = pageParam(ctx);
    if (!isLoggedIn(ctx)) {
      flash(ctx, 'info', 'Please log in to see your activity log.');
      return seeOther(ctx, '/');
    }
    const hat = hatOf(ctx);
    // Only the applications' names: the dashboard's overview would read each one's grant and newest record too.
    const [applications, activity] = await Promise.all([services.registry.list(), services.dashboard.activityPage(hat, page)]);
    await renderPage(ctx, 'dashboard-activity', { currentPage: 'activity', activity: activityView(activity, applicationNames(applications)) });
  });

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
