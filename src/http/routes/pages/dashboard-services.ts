import type { Services } from '../../../services/index.js';
import { hatOf, seeOther, type AppRouter } from '../../context.js';
import { claimConsent } from '../../pages/consent.js';
import { flash } from '../../pages/flash.js';
import { ownerForm } from '../../pages/owner-form.js';
import { DASHBOARD_OFFER } from './dashboard-home.js';

/** The dashboard's forms about services with access (SPEC 7, 12): revoke a website or an OAuth client, disable or enable an application. */
export function dashboardServicesRoutes(router: AppRouter, services: Services): void {
  const { dashboard } = services;

  router.post('/dashboard/websites/:id/revoke', async (ctx) => {
    if (!(await ownerForm(ctx))) return;
    const revoked = await dashboard.revokeWebsite(hatOf(ctx), ctx.params.id!, { clientIp: ctx.ip });
    flash(ctx, 'ok', `${revoked.name} at ${new URL(revoked.origin).host} no longer has access. Its tokens stopped working, and it will have to ask you again.`);
    seeOther(ctx, '/');
  });

  // SPEC 12: one click ends an OAuth client's grants with their refresh and access tokens.
  router.post('/dashboard/oauth/revoke', async (ctx) => {
    const form = await ownerForm(ctx);
    if (!form) return;
    const clientId = form.client ?? '';
    if (await services.oauth.revoke(hatOf(ctx).name, clientId, ctx.ip)) {
      flash(ctx, 'ok', `${clientId} no longer has access. Its tokens stopped working, and it will have to ask you again.`);
    } else flash(ctx, 'info', 'That website had no access; nothing changed.');
    seeOther(ctx, '/');
  });

  router.post('/dashboard/applications/:id/disable', async (ctx) => {
    if (!(await ownerForm(ctx))) return;
    const disabled = await dashboard.disableApplication(hatOf(ctx), ctx.params.id!, { clientIp: ctx.ip });
    if (disabled) flash(ctx, 'ok', `${disabled.application.name} is disabled. Its tokens stopped working.`);
    else flash(ctx, 'info', 'That application was not enabled; nothing changed.');
    seeOther(ctx, '/');
  });

  router.post('/dashboard/applications/:id/enable', async (ctx) => {
    const form = await ownerForm(ctx);
    if (!form) return;
    const id = ctx.params.id!;
    // What this browser was shown for it; the form names it too, and must name the same.
    const consent = claimConsent(ctx, DASHBOARD_OFFER, { service: id, echoed: form.permissions ?? '' });
    const { status, changed } = await dashboard.enableApplication(hatOf(ctx), id, consent?.permissions ?? null, { clientIp: ctx.ip });
    if (changed) flash(ctx, 'error', `${status.application.name} changed what it asks for. Nothing was enabled: please review it again below.`);
    else flash(ctx, 'ok', `${status.application.name} is enabled. It may now use exactly what is listed for it.`);
    seeOther(ctx, changed ? '/#available' : '/');
  });
}
