import { NotFound, Titles } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import type { AppRouter } from '../../context.js';
import { renderPage } from '../../pages/render.js';
import { hatHere } from './recover-request.js';

/** GET /confirm-email (SPEC 13): the link mailed to a new address confirms it, once. */
export function confirmEmailRoutes(router: AppRouter, services: Services): void {
  router.get('/confirm-email', async (ctx) => {
    const here = hatHere(ctx);
    if (!here) throw new NotFound('Open the link on your HAT', { title: Titles.linkExpired });
    try {
      const email = await services.emails.confirm(here.hat, ctx.query.token, ctx.ip);
      await renderPage(ctx, 'confirm-email', { email }, { forms: false });
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      ctx.status = 404;
      await renderPage(ctx, 'confirm-email', { gone: true }, { forms: false });
      ctx.status = 404;
    }
  });
}
