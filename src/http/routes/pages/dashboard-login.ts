import { baseUrl, clusterAddress } from '../../../config.js';
import { NotAuthenticated, TooManyAttempts } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { readForm } from '../../body.js';
import { isLoggedIn, logIn, logOut } from '../../browser-login.js';
import { seeOther, type AppContext, type AppRouter } from '../../context.js';
import type { Notice } from '../../pages/flash.js';
import { renderPage } from '../../pages/render.js';
import { onPage, ReRender, type FormProblem, type Page } from '../../pages/rerender.js';
import { checkCsrf, sessionIsLive } from '../../session.js';

const WRONG_PASSWORD = 'That password is not right. Please try again.';
const FORM_EXPIRED = 'The login form expired. Please enter your password again.';

/**
 * The dashboard's login page (GET / when not logged in); after a failed attempt, says why.
 * `notice` replaces the kept message (the logged-out notice travels in the address).
 */
export function loginPage(services: Services, notice?: Notice): Page {
  const clusterUrl = baseUrl(services.config, clusterAddress(services.config)) + '/';
  return (ctx: AppContext, problem?: FormProblem) =>
    renderPage(ctx, 'dashboard-login', {
      clusterUrl,
      ...(notice ? { notice } : {}),
      ...(problem?.retryMinutes ? { throttled: true, retryMinutes: problem.retryMinutes } : {}),
      ...(problem && !problem.retryMinutes ? { error: problem.cause instanceof NotAuthenticated ? WRONG_PASSWORD : problem.alert } : {}),
    });
}

/** Logging in to and out of the dashboard on a HAT host (SPEC 7). */
export function dashboardLoginRoutes(router: AppRouter, services: Services): void {
  const page = loginPage(services);

  router.post('/login', async (ctx) => {
    const form = await readForm(ctx);
    // The login page sat open past its session: ask again rather than refuse.
    if (!sessionIsLive(ctx)) throw new ReRender(page, { status: 403, fields: {}, alert: FORM_EXPIRED });
    checkCsrf(ctx, form._csrf);
    await onPage(page, [NotAuthenticated, TooManyAttempts], () => logIn(ctx, services, form.password ?? '', { via: 'dashboard' }));
    seeOther(ctx, '/');
  });

  router.post('/logout', async (ctx) => {
    const form = await readForm(ctx);
    if (isLoggedIn(ctx)) {
      checkCsrf(ctx, form._csrf);
      await logOut(ctx, services, 'dashboard');
    }
    // The session is gone, so the notice travels in the address.
    seeOther(ctx, '/?logged-out');
  });
}
