import { NotFound, Titles } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { HANDOFF_GONE, HANDOFF_SECONDS } from '../../../services/handoff.js';
import { readForm } from '../../body.js';
import { logInWithHandoff } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flash } from '../../pages/flash.js';
import { renderPage } from '../../pages/render.js';
import { onPage, problemOf, ReRender, type Page } from '../../pages/rerender.js';
import { checkCsrf } from '../../session.js';

/** The hand-off could not be used: a page that says so and leads to the HAT's login page. */
const gonePage: Page = async (ctx: AppContext) => {
  await renderPage(ctx, 'signup-handoff-gone', { minutes: HANDOFF_SECONDS / 60 }, { forms: false });
  ctx.status = 404;
};

/**
 * The new HAT's end of the sign-up hand-off (services/handoff.ts). The "ready" page on the
 * cluster's host posts the one-time secret here (a form post: never in an address or a log).
 * That post changes nothing: it shows "Continue as <HAT>", whose button posts the secret back
 * with this host's CSRF token. So a browser can be logged in to a HAT only by its own click on
 * that HAT's page: a website that posts someone else's secret from elsewhere (login CSRF) gets
 * its victim no further than that page, which says whose HAT it is. Works without scripts.
 */
export function signupHandoffRoutes(router: AppRouter, services: Services): void {
  const { handoff } = services;

  router.post('/signup/welcome', async (ctx) => {
    const form = await readForm(ctx);
    if (!(await handoff.check(hatOf(ctx), form.code))) throw new ReRender(gonePage, problemOf(new NotFound(HANDOFF_GONE, { title: Titles.linkExpired }))!);
    await renderPage(ctx, 'signup-welcome', { code: form.code });
  });

  // The page of a post, asked for again (a bookmark, the address bar): the dashboard or its login.
  router.get('/signup/welcome', async (ctx) => seeOther(ctx, '/'));

  router.post('/signup/login', async (ctx) => {
    const form = await readForm(ctx);
    checkCsrf(ctx, form._csrf);
    await onPage(gonePage, [NotFound], () => logInWithHandoff(ctx, services, form.code));
    flash(ctx, 'ok', 'Welcome to your HAT. You are logged in: this is your dashboard.');
    seeOther(ctx, '/');
  });
}
