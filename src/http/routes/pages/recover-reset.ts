import { InvalidInput, NotFound, Titles } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { LINK_GONE } from '../../../services/recovery.js';
import { MIN_PASSWORD_LENGTH } from '../../../services/strength.js';
import { readForm } from '../../body.js';
import { seeOther, type AppContext, type AppRouter } from '../../context.js';
import { errorList, renderPage } from '../../pages/render.js';
import { onPage, problemOf, ReRender, type FormProblem, type Page } from '../../pages/rerender.js';
import { checkCsrf } from '../../session.js';
import { hatHere } from './recover-request.js';

const FIELDS = ['newPassword', 'newPasswordRepeat'] as const;

/** The reset link's page: a new password, twice, with what was wrong at its field. */
const resetPage = (token: string): Page => async (ctx: AppContext, problem?: FormProblem) => {
  const errors = problem?.fields ?? {};
  await renderPage(ctx, 'recover-reset', { token, errors, errorList: errorList(FIELDS, errors), minPassword: MIN_PASSWORD_LENGTH });
};

/** A link that cannot be used: a page that says so and offers a new one (404; SPEC 3 JSON to a JSON-only client). */
const gonePage: Page = (ctx: AppContext) => renderPage(ctx, 'recover-gone', {}, { forms: false });
const linkGone = () => new ReRender(gonePage, problemOf(new NotFound(LINK_GONE, { title: Titles.linkExpired }))!);

/** GET/POST /recover/reset (SPEC 13): a new password through the mailed link, on the HAT's host. */
export function recoverResetRoutes(router: AppRouter, services: Services): void {
  const { recovery } = services;

  router.get('/recover/reset', async (ctx) => {
    const here = hatHere(ctx);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!here || !(await recovery.check(here.hat, token))) throw linkGone();
    return resetPage(token)(ctx);
  });

  router.post('/recover/reset', async (ctx) => {
    const here = hatHere(ctx);
    const form = await readForm(ctx);
    const token = form.token ?? '';
    // A used or expired link says so, whatever the form's age: nothing changes either way.
    if (!here || !(await recovery.check(here.hat, token))) throw linkGone();
    checkCsrf(ctx, form._csrf);
    const input = { newPassword: form.newPassword ?? '', newPasswordRepeat: form.newPasswordRepeat ?? '' };
    try {
      await onPage(resetPage(token), [InvalidInput], () => recovery.reset(here.hat, token, input, ctx.ip));
    } catch (err) {
      // Used up or superseded between the check and the reset.
      throw err instanceof NotFound ? linkGone() : err;
    }
    // Every session ended with the reset, this browser's too: the notice travels in the address.
    ctx.session = null;
    seeOther(ctx, '/?password-reset');
  });
}
