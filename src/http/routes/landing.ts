import { clusterAddress, baseUrl } from '../../config.js';
import { Conflict, InvalidInput, NotFound, TooManyAttempts } from '../../errors.js';
import type { Services } from '../../services/index.js';
import type { NewHat } from '../../services/signup.js';
import { MIN_PASSWORD_LENGTH } from '../../services/strength.js';
import { readForm } from '../body.js';
import { seeOther, type AppContext, type AppRouter } from '../context.js';
import { allowFormTarget } from '../security.js';
import { checkCsrf, csrfToken } from '../session.js';

const SIGNUP_FIELDS = ['fullName', 'username', 'email', 'pass', 'passRepeat'] as const;
type SignupField = (typeof SIGNUP_FIELDS)[number];

/** What the form calls each field; the API's messages name the JSON field instead. */
const LABELS: Record<SignupField, string> = {
  fullName: 'Full name',
  username: 'HAT name',
  email: 'Email',
  pass: 'Password',
  passRepeat: 'Repeated password',
};

/**
 * The API's message for a field, worded for the form: the same rule and the same advice, with
 * the field's label where the API names its JSON key ("pass is too easy…" → "Password is too easy…").
 */
export function formMessage(field: string, problem: string): string {
  if (problem === 'passRepeat does not match pass') return 'The repeated password does not match the password';
  const label = LABELS[field as SignupField];
  return label && problem.startsWith(field + ' ') ? label + problem.slice(field.length) : problem;
}

interface SignupView {
  values: Partial<Record<SignupField, string>>;
  errors: Partial<Record<SignupField, string>>;
  alert?: string;
}

/** The cluster's own pages (SPEC 9): the landing page, the sign-up form and "go to my HAT". */
export function landingRoutes(router: AppRouter, services: Services): void {
  const { config } = services;
  const cluster = clusterAddress(config);

  const renderLanding = async (ctx: AppContext, go: { name?: string; error?: string } = {}) => {
    // "Go to my HAT" ends in a redirect to the HAT's own host, and form-action covers redirects.
    allowFormTarget(ctx, `${config.publicScheme}://*.${cluster}`);
    await ctx.render('landing', { cluster, go });
  };

  const renderSignup = async (ctx: AppContext, view: SignupView) => {
    const errorList = SIGNUP_FIELDS.filter((f) => view.errors[f]).map((f) => ({ field: f, message: view.errors[f] }));
    await ctx.render('signup', {
      csrf: csrfToken(ctx),
      cluster,
      values: view.values,
      errors: view.errors,
      errorList,
      alert: view.alert,
      minPassword: MIN_PASSWORD_LENGTH,
    });
  };

  router.get('/', async (ctx) => renderLanding(ctx));

  router.get('/go', async (ctx) => {
    const typed = typeof ctx.query.name === 'string' ? ctx.query.name : '';
    try {
      const found = await services.locator.locate(typed);
      seeOther(ctx, found.url + '/');
    } catch (err) {
      if (!(err instanceof InvalidInput || err instanceof NotFound)) throw err;
      ctx.status = err.status;
      await renderLanding(ctx, { name: typed, error: err.detail });
    }
  });

  router.get('/signup', async (ctx) => renderSignup(ctx, { values: {}, errors: {} }));

  router.post('/signup', async (ctx) => {
    const form = await readForm(ctx);
    const entered = Object.fromEntries(SIGNUP_FIELDS.map((f) => [f, form[f] ?? ''])) as Record<SignupField, string>;
    // Passwords are never sent back to the browser; everything else is kept for the next try.
    const values = { fullName: entered.fullName, username: entered.username, email: entered.email };
    try {
      checkCsrf(ctx, form._csrf);
    } catch {
      ctx.status = 403;
      await renderSignup(ctx, {
        values,
        errors: {},
        alert: 'This form expired or did not come from this site. Your details are kept below: please enter the password again and send the form once more.',
      });
      return;
    }
    try {
      const input = services.signup.parse(entered);
      const outcome = await services.signup.attempt(input, ctx.ip);
      if (outcome.problems) {
        const errors = Object.fromEntries(outcome.problems.map((p) => [p.field, formMessage(p.field, p.problem)]));
        ctx.status = 400;
        await renderSignup(ctx, { values, errors });
        return;
      }
      (ctx.session as Record<string, unknown>).newHat = outcome.created;
      seeOther(ctx, '/signup/ready');
    } catch (err) {
      if (err instanceof TooManyAttempts) {
        ctx.status = 429;
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        await renderSignup(ctx, { values, errors: {}, alert: err.detail });
        return;
      }
      if (!((err instanceof InvalidInput || err instanceof Conflict) && err.field)) throw err;
      ctx.status = err.status;
      await renderSignup(ctx, { values, errors: { [err.field]: formMessage(err.field, err.detail) } });
    }
  });

  // After the form, so that reloading the page shows it again instead of sending the form twice.
  router.get('/signup/ready', async (ctx) => {
    const created = (ctx.session as Record<string, unknown> | null)?.newHat as NewHat | undefined;
    if (!created) {
      return seeOther(ctx, '/signup');
    }
    await ctx.render('signup-ready', { cluster, hat: created.hat, url: created.url + '/', home: baseUrl(config, cluster) });
  });
}
