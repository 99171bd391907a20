import { baseUrl, clusterAddress } from '../../config.js';
import { InvalidInput, NotFound, TooManyAttempts, Titles } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { LINK_MINUTES } from '../../services/links.js';
import { readOutbox } from '../../services/mail.js';
import type { NewPassword } from '../../services/recovery.js';
import { MIN_PASSWORD_LENGTH } from '../../services/strength.js';
import { readForm } from '../body.js';
import { seeOther, type AppContext, type AppRouter } from '../context.js';
import { checkCsrf, csrfToken } from '../session.js';

const PASSWORD_FIELDS = ['newPassword', 'newPasswordRepeat'] as const;

/** The HAT of a request on a HAT host, or undefined on the cluster's own pages. */
function hatHere(ctx: AppContext) {
  return ctx.state.tenant.kind === 'hat' ? ctx.state.tenant : undefined;
}

function minutes(err: TooManyAttempts): number {
  return Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
}

/**
 * "Forgot password?" (SPEC 13) on the cluster's host and on every HAT's host: ask for a link,
 * and, on the HAT, set a new password through it. Also the confirmation link of an email address.
 */
export function recoveryRoutes(router: AppRouter, services: Services): void {
  const { recovery, emails, config } = services;
  const clusterUrl = baseUrl(config, clusterAddress(config)) + '/';

  const renderRequest = async (ctx: AppContext, locals: Record<string, unknown> = {}, status = 200) => {
    const here = hatHere(ctx);
    await ctx.render('recover', {
      hatAddress: here?.address ?? '',
      csrf: csrfToken(ctx),
      identifier: here?.hat.name ?? '',
      clusterUrl,
      ...locals,
    });
    ctx.status = status;
  };

  router.get('/recover', async (ctx) => renderRequest(ctx));

  router.post('/recover', async (ctx) => {
    const form = await readForm(ctx);
    const identifier = (form.identifier ?? '').slice(0, 300);
    try {
      checkCsrf(ctx, form._csrf);
    } catch {
      return renderRequest(ctx, { identifier, error: 'This form expired. Please send it again.' }, 403);
    }
    try {
      await recovery.request(identifier, ctx.ip, hatHere(ctx)?.hat.name);
    } catch (err) {
      if (err instanceof InvalidInput) return renderRequest(ctx, { identifier, error: err.detail }, 400);
      if (err instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        return renderRequest(ctx, { identifier, throttled: minutes(err) }, 429);
      }
      throw err;
    }
    seeOther(ctx, '/recover/sent');
  });

  router.get('/recover/sent', async (ctx) => {
    await ctx.render('recover-sent', { hatAddress: hatHere(ctx)?.address ?? '', minutes: LINK_MINUTES, clusterUrl });
  });

  const renderReset = async (
    ctx: AppContext,
    token: string,
    locals: { errors?: Partial<Record<keyof NewPassword, string>> } = {},
    status = 200,
  ) => {
    const errors = locals.errors ?? {};
    await ctx.render('recover-reset', {
      hatAddress: hatHere(ctx)?.address ?? '',
      csrf: csrfToken(ctx),
      token,
      errors,
      errorList: PASSWORD_FIELDS.filter((f) => errors[f]).map((f) => ({ field: f, message: errors[f] })),
      minPassword: MIN_PASSWORD_LENGTH,
    });
    ctx.status = status;
  };

  /** A link that cannot be used: a page that says so and offers a new one. */
  const renderGone = async (ctx: AppContext) => {
    await ctx.render('recover-gone', { hatAddress: hatHere(ctx)?.address ?? '', clusterUrl });
    ctx.status = 404;
  };

  router.get('/recover/reset', async (ctx) => {
    const here = hatHere(ctx);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!here || !(await recovery.check(here.hat, token))) return renderGone(ctx);
    return renderReset(ctx, token);
  });

  router.post('/recover/reset', async (ctx) => {
    const here = hatHere(ctx);
    const form = await readForm(ctx);
    const token = form.token ?? '';
    // A used or expired link says so, whatever the form's age: nothing changes either way.
    if (!here || !(await recovery.check(here.hat, token))) return renderGone(ctx);
    checkCsrf(ctx, form._csrf);
    const input = { newPassword: form.newPassword ?? '', newPasswordRepeat: form.newPasswordRepeat ?? '' };
    try {
      await recovery.reset(here.hat, token, input, ctx.ip);
    } catch (err) {
      if (err instanceof NotFound) return renderGone(ctx);
      if (err instanceof InvalidInput && err.field) return renderReset(ctx, token, { errors: { [err.field]: err.detail } }, 400);
      throw err;
    }
    // Every session ended with the reset, this browser's too: the notice travels in the address.
    ctx.session = null;
    seeOther(ctx, '/?password-reset');
  });

  router.get('/confirm-email', async (ctx) => {
    const here = hatHere(ctx);
    if (!here) throw new NotFound('Open the link on your HAT', { title: Titles.linkExpired });
    try {
      const email = await emails.confirm(here.hat, ctx.query.token, ctx.ip);
      await ctx.render('confirm-email', { hatAddress: here.address, email });
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      ctx.status = 404;
      await ctx.render('confirm-email', { hatAddress: here.address, gone: true });
      ctx.status = 404;
    }
  });
}

/**
 * In development, with no SMTP_URL, the cluster lists the outbox's mails, so that `npm start`
 * alone lets a newcomer try recovery. Never in production: the links in it log a HAT in.
 */
export function devOutboxRoutes(router: AppRouter, services: Services): void {
  const { config } = services;
  if (config.production || config.smtpUrl) return;
  router.get('/dev/outbox', async (ctx) => {
    const mails = (await readOutbox(config.dataDir)).map((m) => ({
      ...m,
      // The text with each URL made a link; everything is escaped by the template.
      parts: m.text.split(/(https?:\/\/\S+)/).map((text, i) => ({ text, link: i % 2 === 1 })),
    }));
    await ctx.render('dev-outbox', { mails, cluster: clusterAddress(config) });
  });
}
