import { Conflict, InvalidInput, NotAllowed, TooManyAttempts } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flash } from '../../pages/flash.js';
import { ownerForm } from '../../pages/owner-form.js';
import { errorList, renderPage } from '../../pages/render.js';
import { onPage, type FormProblem, type Page } from '../../pages/rerender.js';

const FIELDS = ['email', 'password'] as const;

/** The page, with the address typed and what was wrong: a wrong password, or too many, at the password. */
const emailPage = (services: Services, typed = ''): Page => async (ctx: AppContext, problem?: FormProblem) => {
  const hat = hatOf(ctx);
  const errors: Record<string, string> = { ...(problem?.fields ?? {}) };
  if (problem?.cause instanceof NotAllowed) errors.password = 'Your password is not right';
  if (problem?.cause instanceof TooManyAttempts) errors.password = 'Too many wrong passwords. Please try again later.';
  await renderPage(ctx, 'dashboard-email', {
    current: hat.email,
    verified: await services.emails.isVerified(hat),
    email: typed,
    errors,
    errorList: errorList(FIELDS, errors),
  });
};

/**
 * /dashboard/email on a HAT host (SPEC 13): "Change email" needs the password, and takes effect
 * when the link mailed to the new address is opened.
 */
export function dashboardEmailRoutes(router: AppRouter, services: Services): void {
  router.get('/dashboard/email', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    return emailPage(services)(ctx);
  });

  router.post('/dashboard/email', async (ctx) => {
    const form = await ownerForm(ctx);
    if (!form) return;
    const typed = (form.email ?? '').slice(0, 300);
    const email = await onPage(emailPage(services, typed), [NotAllowed, InvalidInput, Conflict, TooManyAttempts], () =>
      services.emails.requestChange(hatOf(ctx), form.password ?? '', typed, { clientIp: ctx.ip, via: 'dashboard' }),
    );
    flash(ctx, 'info', `We sent a link to ${email}. Your HAT keeps its current address until you open it (within 30 minutes).`);
    seeOther(ctx, '/');
  });
}
