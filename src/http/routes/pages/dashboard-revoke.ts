import type { Services } from '../../../services/index.js';
import { isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flash } from '../../pages/flash.js';
import { renderPage } from '../../pages/render.js';
import { applicationRevokeView, oauthRevokeView, websiteRevokeView, type RevokeView } from '../../revoke-view.js';

const NOTHING_TO_REVOKE = 'That service has no access; nothing changed.';

/**
 * The confirmation pages of the dashboard's Revoke buttons (SPEC 7): a GET that changes
 * nothing and shows what revoking would end; its Revoke button posts the form that
 * dashboard-services.ts carries out, its Keep link goes back. Works without scripts.
 */
export function dashboardRevokeRoutes(router: AppRouter, services: Services): void {
  const { dashboard } = services;

  const show = async (ctx: AppContext, view: RevokeView | null) => {
    if (!view) {
      flash(ctx, 'info', NOTHING_TO_REVOKE);
      return seeOther(ctx, '/');
    }
    await renderPage(ctx, 'dashboard-revoke', { revoke: view });
  };

  router.get('/dashboard/websites/:id/revoke', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    await show(ctx, websiteRevokeView(await dashboard.websiteToRevoke(hatOf(ctx), ctx.params.id!)));
  });

  router.get('/dashboard/applications/:id/disable', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    const status = await dashboard.applicationToRevoke(hatOf(ctx), ctx.params.id!);
    await show(ctx, status && applicationRevokeView(status));
  });

  router.get('/dashboard/oauth/revoke', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    const client = typeof ctx.query.client === 'string' ? ctx.query.client : '';
    const grant = client ? await services.oauth.grant(hatOf(ctx).name, client) : null;
    await show(ctx, grant && oauthRevokeView(grant));
  });
}
