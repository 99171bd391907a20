import { baseUrl, clusterAddress } from '../../../config.js';
import { NotAuthenticated, TooManyAttempts } from '../../../errors.js';
import type { ServiceRequest } from '../../../services/hatlogin.js';
import type { Services } from '../../../services/index.js';
import { readForm } from '../../body.js';
import { isLoggedIn, logIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flowUrl, renderFlowPage, startAgain } from '../../hatlogin-view.js';
import { sendBack } from '../../pages/hop.js';
import { onPage, type FormProblem, type Page } from '../../pages/rerender.js';
import { checkCsrf, sessionIsLive } from '../../session.js';
import { renderApproval } from './hatlogin-approve.js';

const WRONG_PASSWORD = 'That password is not right. Please try again.';

/** The login page of /hatlogin for `request`; after a failed attempt, says why. */
function loginPage(request: ServiceRequest, clusterGoUrl: string): Page {
  return (ctx: AppContext, problem?: FormProblem) =>
    renderFlowPage(ctx, 'hatlogin-login', request, {
      clusterGoUrl,
      ...(problem?.retryMinutes ? { throttled: true, retryMinutes: problem.retryMinutes } : {}),
      ...(problem && !problem.retryMinutes ? { error: WRONG_PASSWORD } : {}),
    });
}

/** GET /hatlogin and its login form on a HAT host (SPEC 6): where a service sends the owner. */
export function hatloginLoginRoutes(router: AppRouter, services: Services): void {
  const { hatlogin } = services;
  // "Not your HAT?" (SPEC 6.3): the cluster's "go to my HAT".
  const clusterGoUrl = baseUrl(services.config, clusterAddress(services.config)) + '/#go';

  router.get('/hatlogin', async (ctx) => {
    // SPEC 6.8: the HAT dashboard's names for the same parameters, and `fallback`.
    const { name, redirect, application_id, redirect_uri, fallback } = ctx.query;
    const request = await hatlogin.parse({ name, redirect, application_id, redirect_uri, fallback });
    if (!isLoggedIn(ctx)) return loginPage(request, clusterGoUrl)(ctx);
    const remembered = await hatlogin.approveIfRemembered(hatOf(ctx), request, { clientIp: ctx.ip });
    // Often the end of the login form's redirects, which form-action governs: see pages/hop.ts.
    if (remembered) return sendBack(ctx, remembered);
    return renderApproval(ctx, hatlogin, request);
  });

  router.post('/hatlogin/login', async (ctx) => {
    const form = await readForm(ctx);
    if (!sessionIsLive(ctx)) return startAgain(ctx, services, form);
    checkCsrf(ctx, form._csrf);
    const request = await hatlogin.parse(form);
    const attempt = { via: 'hatlogin', service: request.name, redirectHost: request.host } as const;
    await onPage(loginPage(request, clusterGoUrl), [NotAuthenticated, TooManyAttempts], () => logIn(ctx, services, form.password ?? '', attempt));
    // The same page decides what comes next: the approval page, or straight back to a remembered service.
    seeOther(ctx, flowUrl(request));
  });
}
