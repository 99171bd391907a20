import { NotFound, Titles } from '../../../errors.js';
import type { AppRouter } from '../../context.js';
import { takeHop } from '../../pages/hop.js';
import { renderPage } from '../../pages/render.js';

const HOP_GONE = 'This page was already used or has expired; go back to the website and start again';

/**
 * GET /continue/<id> on a HAT host (issue 11, finding 9): the hop to a service whose address CSP
 * cannot name (pages/hop.ts). A meta refresh moves on at once, with no script; the link is there
 * for a browser that does not. Shown once, for the browser whose form recorded it, never cached
 * (every page is no-store unless a route says otherwise).
 */
export function continueRoutes(router: AppRouter): void {
  router.get('/continue/:id', async (ctx) => {
    const hop = takeHop(ctx, ctx.params.id ?? '');
    if (!hop) throw new NotFound(HOP_GONE, { title: Titles.linkExpired });
    // It moves on at once: a message kept for the HAT's next page waits for that page.
    await renderPage(ctx, 'continue', { to: hop.to, host: hop.host }, { forms: false, notice: false });
  });
}
