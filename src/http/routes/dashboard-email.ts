import { Conflict, InvalidInput, NotAllowed, TooManyAttempts } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { readForm } from '../body.js';
import { isLoggedIn } from '../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../context.js';
import { flash } from '../pages/flash.js';
import { checkCsrf, csrfToken } from '../session.js';

type EmailField = 'email' | 'password';


/**
 * "Change email" on the dashboard (SPEC 13): needs the password, and takes effect when the link
 * mailed to the new address is opened.
 */
export function dashboardEmailRoutes(router: AppRouter, services: Services): void {
  const { emails } = services;

  const render = async (ctx: AppContext, locals: { email?: string; errors?: Partial<Record<EmailField, string>> } = {}, status = 200) => {
    const hat = hatOf(ctx);
    const errors = locals.errors ?? {};
    const tenant = ctx.state.tenant;
    await ctx.render('dashboard-email', {
      hatAddress: tenant.kind === 'hat' ? tenant.address : '',
      csrf: csrfToken(ctx),
      current: hat.email,
      verified: await emails.isVerified(hat),
      email: locals.email ?? '',
      errors,
      errorList: (['email', 'password'] as const).filter((f) => errors[f]).map((f) => ({ field: f, message: errors[f] })),
    });
    ctx.status = status;
  };

  router.get('/dashboard/email', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    return render(ctx);
  });

  router.post('/dashboard/email', async (ctx) => {
    const form = await readForm(ctx);
    if (!isLoggedIn(ctx)) {
      flash(ctx, 'info', 'Your session has ended. Please log in again.');
      return seeOther(ctx, '/');
    }
    checkCsrf(ctx, form._csrf);
    const typed = (form.email ?? '').slice(0, 300);
    try {
      const email = await emails.requestChange(hatOf(ctx), form.password ?? '', typed, { clientIp: ctx.ip, via: 'dashboard' });
      flash(ctx, 'info', `We sent a link to ${email}. Your HAT keeps its current address until you open it (within 30 minutes).`);
      seeOther(ctx, '/');
    } catch (err) {
      if (err instanceof NotAllowed) return render(ctx, { email: typed, errors: { password: 'Your password is not right' } }, 403);
      if ((err instanceof InvalidInput || err instanceof Conflict) && err.field === 'email') {
        return render(ctx, { email: typed, errors: { email: err.detail } }, err.status);
      }
      if (err instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        return render(ctx, { email: typed, errors: { password: 'Too many wrong passwords. Please try again later.' } }, 429);
      }
      throw err;
    }
  });
}
