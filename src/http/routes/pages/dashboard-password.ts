import { InvalidInput, NotAllowed, TooManyAttempts } from '../../../errors.js';
import type { PasswordChange } from '../../../services/dashboard.js';
import type { Services } from '../../../services/index.js';
import { MIN_PASSWORD_LENGTH } from '../../../services/strength.js';
import { startOwnerSession, isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flash } from '../../pages/flash.js';
import { ownerForm } from '../../pages/owner-form.js';
import { errorList, renderPage } from '../../pages/render.js';
import { onPage, ReRender, type FormProblem, type Page } from '../../pages/rerender.js';

const FIELDS = ['oldPassword', 'newPassword', 'newPasswordRepeat'] as const;

/**
 * The password page; shown again with what was wrong, at its field or (waiting) above the form,
 * and with "keep services signed in" as it was sent.
 */
const passwordPage = (keepServices = false): Page => async (ctx: AppContext, problem?: FormProblem) => {
  // The API names its JSON field; the page says what it is.
  const fields = Object.entries(problem?.fields ?? {}).map(([f, text]) => [f, text.replace(/^newPassword /, 'The new password ')]);
  const errors: Record<string, string> = Object.fromEntries(fields);
  let alert: string | undefined;
  if (problem?.cause instanceof NotAllowed) errors.oldPassword = 'Your current password is not right';
  if (problem?.retryMinutes) {
    const minutes = problem.retryMinutes;
    alert = `Too many wrong passwords. Please try again in about ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  }
  await renderPage(ctx, 'dashboard-password', { errors, errorList: errorList(FIELDS, errors), alert, keepServices, minPassword: MIN_PASSWORD_LENGTH });
};

/** /dashboard/password on a HAT host (SPEC 7): the owner changes the password. */
export function dashboardPasswordRoutes(router: AppRouter, services: Services): void {
  const { dashboard } = services;

  router.get('/dashboard/password', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    return passwordPage()(ctx);
  });

  router.post('/dashboard/password', async (ctx) => {
    const form = await ownerForm(ctx);
    if (!form) return;
    const hat = hatOf(ctx);
    const input: PasswordChange = {
      oldPassword: form.oldPassword ?? '',
      newPassword: form.newPassword ?? '',
      newPasswordRepeat: form.newPasswordRepeat ?? '',
    };
    const keepServices = form.keepServices === 'yes';
    const page = passwordPage(keepServices);
    const problems = dashboard.passwordChangeProblems(hat, input);
    if (Object.keys(problems).length > 0) throw new ReRender(page, { status: 400, fields: problems });
    await onPage(page, [NotAllowed, InvalidInput, TooManyAttempts], () => dashboard.changePassword(hat, { ...input, keepServices }, { clientIp: ctx.ip }));
    // Every session of the HAT ended with the change; this browser starts a new one, the others stay out.
    await startOwnerSession(ctx);
    flash(
      ctx,
      'ok',
      keepServices
        ? 'Your password is changed. You are still logged in here; every other session and every owner token has ended. The services you approved stay signed in.'
        : 'Your password is changed. You are still logged in here; every other session, every owner token and every token of the services you approved has ended.',
    );
    seeOther(ctx, '/');
  });
}
