import type { Services } from '../../../services/index.js';
import { hatOf, seeOther, type AppRouter } from '../../context.js';
import { flash } from '../../pages/flash.js';
import { ownerForm } from '../../pages/owner-form.js';
import { currentSessionId } from '../../session.js';

/**
 * The dashboard's forms about browser sessions (SPEC 7): end one, or "log out everywhere". The
 * list itself is on the dashboard (dashboard-home.ts). Ending a session removes it from the
 * store, so that browser's next request is logged out.
 */
export function dashboardSessionsRoutes(router: AppRouter, services: Services): void {
  const { browserSessions } = services;

  router.post('/dashboard/sessions/end-all', async (ctx) => {
    if (!(await ownerForm(ctx))) return;
    await browserSessions.endAll(hatOf(ctx), { clientIp: ctx.ip });
    // This browser's session went with the others; the notice travels in the address.
    ctx.session = null;
    seeOther(ctx, '/?logged-out=everywhere');
  });

  router.post('/dashboard/sessions/:key/end', async (ctx) => {
    if (!(await ownerForm(ctx))) return;
    const ended = await browserSessions.end(hatOf(ctx), ctx.params.key!, { clientIp: ctx.ip, currentId: currentSessionId(ctx) });
    if (ended?.current) {
      ctx.session = null;
      return seeOther(ctx, '/?logged-out');
    }
    if (ended) flash(ctx, 'ok', `The session of ${ended.browser} has ended: that browser is logged out of your HAT.`);
    else flash(ctx, 'info', 'That session had already ended; nothing changed.');
    seeOther(ctx, '/#sessions');
  });
}
