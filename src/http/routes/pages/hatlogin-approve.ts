import { InvalidInput, Titles } from '../../../errors.js';
import type { HatLogin, ServiceRequest } from '../../../services/hatlogin.js';
import type { Services } from '../../../services/index.js';
import { readForm } from '../../body.js';
import { isLoggedIn, logOut } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flowUrl, renderFlowPage, startAgain } from '../../hatlogin-view.js';
import { claimConsent, offerConsent } from '../../pages/consent.js';
import { flash } from '../../pages/flash.js';
import { sendBack } from '../../pages/hop.js';
import { checkCsrf, sessionIsLive } from '../../session.js';

const PERMISSIONS_CHANGED = 'The application changed what it asks for. Please review it again.';

/**
 * The approval page for `request`. Its forms post only the id of the consent offer recorded
 * here (pages/consent.ts), never the name, redirect or permissions: the answer is to exactly
 * what was shown.
 */
export async function renderApproval(ctx: AppContext, hatlogin: HatLogin, request: ServiceRequest): Promise<void> {
  const shown = { [request.name]: hatlogin.shownPermissions(request) };
  const pendingId = offerConsent(ctx, shown, { request: { name: request.name, redirect: request.redirect, ...(request.fallback ? { fallback: request.fallback } : {}) } });
  await renderFlowPage(ctx, 'hatlogin-approve', request, { pendingId }, await hatlogin.alreadyAllowed(hatOf(ctx), request));
}

/** The approval page's answers on a HAT host (SPEC 6.5): approve, deny, or log out. */
export function hatloginApproveRoutes(router: AppRouter, services: Services): void {
  const { hatlogin } = services;

  const answer = (decision: 'approve' | 'deny') => async (ctx: AppContext) => {
    const form = await readForm(ctx);
    if (!sessionIsLive(ctx) || !isLoggedIn(ctx)) return startAgain(ctx, services, form);
    checkCsrf(ctx, form._csrf);
    const hat = hatOf(ctx);
    // Once per page: in this session, and across every process (two posts at once, another server).
    const consent = claimConsent(ctx, form.pending);
    if (!consent || !(await hatlogin.claimAnswer(hat.name, form.pending!))) {
      throw new InvalidInput(
        'This approval page was already answered or is no longer valid; go back to the site you came from and try again',
        { field: 'pending', title: Titles.approvalExpired },
      );
    }
    // Exactly what the page showed, whatever the form's other fields say now.
    const request = await hatlogin.parse(consent.request);
    const actor = { clientIp: ctx.ip };
    // Back to the service: a direct 303, or the hop page when CSP cannot name it (pages/hop.ts).
    if (decision === 'deny') return sendBack(ctx, await hatlogin.deny(hat, request, actor));
    if (!hatlogin.stillAsShown(request, consent.permissions)) {
      flash(ctx, 'info', PERMISSIONS_CHANGED);
      return seeOther(ctx, flowUrl(request));
    }
    sendBack(ctx, await hatlogin.approve(hat, request, actor));
  };
  router.post('/hatlogin/approve', answer('approve'));
  router.post('/hatlogin/deny', answer('deny'));

  /** "Log out" on the approval page: ends the session and shows the login page for the same service. */
  router.post('/hatlogin/logout', async (ctx) => {
    const form = await readForm(ctx);
    if (!sessionIsLive(ctx)) return startAgain(ctx, services, form);
    checkCsrf(ctx, form._csrf);
    const request = await hatlogin.parse(form);
    await logOut(ctx, services, 'hatlogin');
    seeOther(ctx, flowUrl(request));
  });
}
