import { InvalidInput, NotAllowed, TooManyAttempts } from '../../../errors.js';
import type { PasswordChange } from '../../../services/dashboard.js';
import type { Services } from '../../../services/index.js';
import { MIN_PASSWORD_LENGTH } from '../../../services/strength.js';
import { startOwnerSession, isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../../context.js';
import { flash } from '../../pages/flash.js';
import { ownerForm } from '../../pages/owner-form.js';
import { errorList, renderPage } from '../../pages/render.js';
import { onPage, ReRender, type FormProblem } from '../../pages/rerender.js';

const FIELDS = ['oldPassword', 'newPassword', 'newPasswordRepeat'] as const;

/** The password page; shown again with what was wrong, at its field or (waiting) above the form. */
async function passwordPage(ctx: AppContext, problem?: FormProblem): Promise<void> {
  const errors: Record<string, string> = { ...problem?.fields };
  let alert: string | undefined;
  if (problem?.cause instanceof NotAllowed) errors.oldPassword = 'Your current password is not right';
  if (problem?.retryMinutes) {
    const minutes = problem.retryMinutes;
    alert = `Too many wrong passwords. Please try again in about ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  }
  await renderPage(ctx, 'dashboard-password', { errors, errorList: errorList(FIELDS, errors), alert, minPassword: MIN_PASSWORD_LENGTH });
}

/** /dashboard/password on a HAT host (SPEC 7): the owner changes the password. */
export function dashboardPasswordRoutes(router: AppRouter, services: Services): void {
  const { dashboard } = services;

  router.get('/dashboard/password', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    return passwordPage(ctx);
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
    const problems = dashboard.passwordChangeProblems(hat, input);
    if (Object.keys(problems).length > 0) throw new ReRender(passwordPage, { status: 400, fields: problems });
    await onPage(passwordPage, [NotAllowed, InvalidInput, TooManyAttempts], () => dashboard.changePassword(hat, input, { clientIp: ctx.ip }));
    // Every session of the HAT ended with the change; this browser starts a new one, the others stay out.
    await startOwnerSession(ctx);
    flash(ctx, 'ok', 'Your password is changed. You are still logged in here; every other session and every owner token has ended.');
    seeOther(ctx, '/');
  });
}
