import { baseUrl, clusterAddress } from '../../../config.js';
import { Conflict, InvalidInput, TooManyAttempts } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { MIN_PASSWORD_LENGTH } from '../../../services/strength.js';
import { readForm } from '../../body.js';
import { seeOther, type AppContext, type AppRouter } from '../../context.js';
import { errorList, renderPage } from '../../pages/render.js';
import { onPage, ReRender, type FormProblem, type Page } from '../../pages/rerender.js';
import { checkCsrf, pageSession, sessionOf } from '../../session.js';
import { allowFormTarget } from '../../security.js';

/** How long after sign-up its "ready" page offers to log the browser in on the new HAT (each offer lasts HANDOFF_SECONDS). */
const HANDOFF_OFFERED_MS = 10 * 60 * 1000;

const FIELDS = ['fullName', 'username', 'email', 'pass', 'passRepeat'] as const;
type SignupField = (typeof FIELDS)[number];

/** What the form calls each field; the API's messages name the JSON field instead. */
const LABELS: Record<SignupField, string> = {
  fullName: 'Full name',
  username: 'HAT name',
  email: 'Email',
  pass: 'Password',
  passRepeat: 'Repeated password',
};

const FORM_EXPIRED =
  'This form expired or did not come from this site. Your details are kept below: please enter the password again and send the form once more.';

/**
 * The API's message for a field, worded for the form: the same rule and the same advice, with
 * the field's label where the API names its JSON key ("pass is too easy…" → "Password is too easy…").
 */
export function formMessage(field: string, problem: string): string {
  if (problem === 'passRepeat does not match pass') return 'The repeated password does not match the password';
  const label = LABELS[field as SignupField];
  return label && problem.startsWith(field + ' ') ? label + problem.slice(field.length) : problem;
}

/** The sign-up form with what was typed (never the passwords) and, when shown again, what was wrong. */
function signupPage(cluster: string, values: Partial<Record<SignupField, string>>): Page {
  return async (ctx: AppContext, problem?: FormProblem) => {
    const errors = Object.fromEntries(Object.entries(problem?.fields ?? {}).map(([f, p]) => [f, formMessage(f, p)]));
    await renderPage(ctx, 'signup', {
      cluster,
      values,
      errors,
      errorList: errorList(FIELDS, errors),
      alert: problem?.alert,
      minPassword: MIN_PASSWORD_LENGTH,
    });
  };
}

/** The sign-up form on the cluster host (SPEC 9), beside POST /api/signup: the same service, the same rules. */
export function signupFormRoutes(router: AppRouter, services: Services): void {
  const { config } = services;
  const cluster = clusterAddress(config);

  router.get('/signup', async (ctx) => signupPage(cluster, {})(ctx));

  router.post('/signup', async (ctx) => {
    const form = await readForm(ctx);
    const entered = Object.fromEntries(FIELDS.map((f) => [f, form[f] ?? ''])) as Record<SignupField, string>;
    // Passwords are never sent back to the browser; everything else is kept for the next try.
    const page = signupPage(cluster, { fullName: entered.fullName, username: entered.username, email: entered.email });
    try {
      checkCsrf(ctx, form._csrf);
    } catch {
      throw new ReRender(page, { status: 403, fields: {}, alert: FORM_EXPIRED });
    }
    const outcome = await onPage(page, [InvalidInput, Conflict, TooManyAttempts], () => services.signup.attempt(services.signup.parse(entered), ctx.ip));
    if (outcome.problems) {
      throw new ReRender(page, { status: 400, fields: Object.fromEntries(outcome.problems.map((p) => [p.field, p.problem])) });
    }
    const created = outcome.created;
    const session = pageSession(ctx);
    session.newHat = created;
    session.handoff = { hat: entered.username.trim().toLowerCase(), until: Date.now() + HANDOFF_OFFERED_MS };
    seeOther(ctx, '/signup/ready');
  });

  // After the form, so that reloading the page shows it again instead of sending the form twice.
  router.get('/signup/ready', async (ctx) => {
    const session = sessionOf(ctx);
    const created = session?.newHat;
    if (!created) return seeOther(ctx, '/signup');
    // The one-time hand-off to the new HAT (services/handoff.ts), only ever in this page's form and
    // only on its first showing, right after the sign-up: were a reload to mint another, whoever
    // reached this browser later could log in to the HAT again without the password, after a
    // password change or "log out everywhere" (security review). A reload links to the HAT.
    const offer = session.handoff;
    delete session.handoff;
    const code = offer && Date.now() < offer.until ? await services.handoff.issue(offer.hat) : null;
    if (code) allowFormTarget(ctx, created.url);
    await renderPage(
      ctx,
      'signup-ready',
      { cluster, hat: created.hat, url: created.url + '/', home: baseUrl(config, cluster), ...(code ? { handoff: { action: created.url + '/signup/welcome', code } } : {}) },
      { forms: false },
    );
  });
}
