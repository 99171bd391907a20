import { Readable } from 'node:stream';
import { baseUrl, clusterAddress } from '../../config.js';
import { InvalidInput, NotAllowed, NotAuthenticated, TooManyAttempts } from '../../errors.js';
import type { PasswordChange } from '../../services/dashboard.js';
import type { Services } from '../../services/index.js';
import { MIN_PASSWORD_LENGTH } from '../../services/strength.js';
import { readForm } from '../body.js';
import { isLoggedIn, logIn, logOut, startOwnerSession } from '../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../context.js';
import { activityView, exportedEntry, overviewView } from '../dashboard-view.js';
import { checkCsrf, csrfToken, sessionIsLive } from '../session.js';

interface Notice {
  kind: 'ok' | 'info' | 'error';
  text: string;
}

interface DashboardSession {
  dashboardNotice?: Notice;
}

const WRONG_PASSWORD = 'That password is not right. Please try again.';
const SESSION_ENDED = 'Your session has ended. Please log in again.';
const PASSWORD_FIELDS = ['oldPassword', 'newPassword', 'newPasswordRepeat'] as const;

function session(ctx: AppContext): DashboardSession {
  return ctx.session as unknown as DashboardSession;
}

/** A message for the next page this browser sees (after a redirect). */
function notify(ctx: AppContext, kind: Notice['kind'], text: string): void {
  session(ctx).dashboardNotice = { kind, text };
}

function takeNotice(ctx: AppContext): Notice | undefined {
  const s = session(ctx);
  const notice = s?.dashboardNotice;
  if (notice) delete s.dashboardNotice;
  return notice;
}

function address(ctx: AppContext): string {
  const tenant = ctx.state.tenant;
  return tenant.kind === 'hat' ? tenant.address : '';
}

/** `?page=` of the activity log: absent means 1; anything but a whole number is a 400. */
function pageParam(ctx: AppContext): number {
  const raw = ctx.query.page;
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,8}$/.test(raw)) {
    throw new InvalidInput('page must be a whole number from 1 up', { field: 'page' });
  }
  return Number(raw);
}

function retryMinutes(err: TooManyAttempts): number {
  return Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
}

/** The owner's dashboard on a HAT host (SPEC 7): `/`, its forms, and the activity download. */
export function dashboardRoutes(router: AppRouter, services: Services): void {
  const { dashboard, config } = services;
  const clusterUrl = baseUrl(config, clusterAddress(config)) + '/';

  const renderLogin = async (ctx: AppContext, locals: Record<string, unknown> = {}, status = 200) => {
    ctx.status = status;
    await ctx.render('dashboard-login', {
      hatAddress: address(ctx),
      csrf: csrfToken(ctx),
      notice: takeNotice(ctx),
      clusterUrl,
      ...locals,
    });
  };

  const renderDashboard = async (ctx: AppContext, page: number) => {
    const hat = hatOf(ctx);
    const [overview, activity, verified] = await Promise.all([
      dashboard.overview(hat),
      dashboard.activityPage(hat, page),
      services.emails.isVerified(hat),
    ]);
    const view = overviewView(overview);
    await ctx.render('dashboard', {
      hatAddress: address(ctx),
      hatName: hat.name,
      currentPage: 'dashboard',
      csrf: csrfToken(ctx),
      notice: takeNotice(ctx),
      overview: view,
      activity: activityView(activity, view.names),
      email: { address: hat.email, verified },
    });
  };

  const renderPassword = async (
    ctx: AppContext,
    locals: { errors?: Partial<Record<(typeof PASSWORD_FIELDS)[number], string>>; alert?: string; keepServices?: boolean } = {},
    status = 200,
  ) => {
    ctx.status = status;
    const errors = locals.errors ?? {};
    await ctx.render('dashboard-password', {
      hatAddress: address(ctx),
      csrf: csrfToken(ctx),
      errors,
      errorList: PASSWORD_FIELDS.filter((f) => errors[f]).map((f) => ({ field: f, message: errors[f] })),
      alert: locals.alert,
      keepServices: locals.keepServices === true,
      minPassword: MIN_PASSWORD_LENGTH,
    });
  };

  /**
   * Reads a dashboard form that changes something. Without a logged-in session nothing is done
   * and the person is sent to log in (null); with one, the CSRF token must match (403).
   */
  const ownerForm = async (ctx: AppContext): Promise<Record<string, string> | null> => {
    const form = await readForm(ctx);
    if (!isLoggedIn(ctx)) {
      notify(ctx, 'info', SESSION_ENDED);
      seeOther(ctx, '/');
      return null;
    }
    checkCsrf(ctx, form._csrf);
    return form;
  };

  router.get('/', async (ctx) => {
    const page = pageParam(ctx);
    if (isLoggedIn(ctx)) return renderDashboard(ctx, page);
    const loggedOut =
      ctx.query['logged-out'] !== undefined
        ? { kind: 'ok', text: 'You have logged out.' }
        : ctx.query['password-reset'] !== undefined
          ? { kind: 'ok', text: 'Your new password is set, and every session and token has ended. Log in with the new password.' }
          : undefined;
    return renderLogin(ctx, loggedOut ? { notice: loggedOut } : {});
  });

  router.post('/login', async (ctx) => {
    const form = await readForm(ctx);
    // The login page sat open past its session: ask again rather than refuse.
    if (!sessionIsLive(ctx)) return renderLogin(ctx, { error: 'The login form expired. Please enter your password again.' }, 403);
    checkCsrf(ctx, form._csrf);
    try {
      await logIn(ctx, services, form.password ?? '', { via: 'dashboard' });
    } catch (err) {
      if (err instanceof NotAuthenticated) return renderLogin(ctx, { error: WRONG_PASSWORD }, 401);
      if (err instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        return renderLogin(ctx, { throttled: true, retryMinutes: retryMinutes(err) }, 429);
      }
      throw err;
    }
    seeOther(ctx, '/');
  });

  router.post('/logout', async (ctx) => {
    const form = await readForm(ctx);
    if (isLoggedIn(ctx)) {
      checkCsrf(ctx, form._csrf);
      await logOut(ctx, services, 'dashboard');
    }
    // The session is gone, so the notice travels in the address.
    seeOther(ctx, '/?logged-out');
  });

  router.post('/dashboard/websites/:id/revoke', async (ctx) => {
    if (!(await ownerForm(ctx))) return;
    const revoked = await dashboard.revokeWebsite(hatOf(ctx), ctx.params.id!, { clientIp: ctx.ip });
    notify(ctx, 'ok', `${revoked.name} at ${new URL(revoked.origin).host} no longer has access. Its tokens stopped working, and it will have to ask you again.`);
    seeOther(ctx, '/');
  });

  router.post('/dashboard/applications/:id/disable', async (ctx) => {
    if (!(await ownerForm(ctx))) return;
    const disabled = await dashboard.disableApplication(hatOf(ctx), ctx.params.id!, { clientIp: ctx.ip });
    if (disabled) notify(ctx, 'ok', `${disabled.application.name} is disabled. Its tokens stopped working.`);
    else notify(ctx, 'info', 'That application was not enabled; nothing changed.');
    seeOther(ctx, '/');
  });

  router.post('/dashboard/applications/:id/enable', async (ctx) => {
    const form = await ownerForm(ctx);
    if (!form) return;
    const { status, changed } = await dashboard.enableApplication(hatOf(ctx), ctx.params.id!, form.permissions ?? '', {
      clientIp: ctx.ip,
    });
    if (changed) notify(ctx, 'error', `${status.application.name} changed what it asks for. Nothing was enabled: please review it again below.`);
    else notify(ctx, 'ok', `${status.application.name} is enabled. It may now use exactly what is listed for it.`);
    seeOther(ctx, changed ? '/#available' : '/');
  });

  router.get('/dashboard/password', async (ctx) => {
    if (!isLoggedIn(ctx)) return seeOther(ctx, '/');
    return renderPassword(ctx);
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
    const problems = dashboard.passwordChangeProblems(hat, input);
    if (Object.keys(problems).length > 0) return renderPassword(ctx, { errors: problems, keepServices }, 400);
    try {
      await dashboard.changePassword(hat, { ...input, keepServices }, { clientIp: ctx.ip });
    } catch (err) {
      if (err instanceof NotAllowed) return renderPassword(ctx, { errors: { oldPassword: 'Your current password is not right' }, keepServices }, 403);
      if (err instanceof InvalidInput && err.field) {
        // The API names its JSON field; the page says what it is.
        const text = err.detail.replace(/^newPassword /, 'The new password ');
        return renderPassword(ctx, { errors: { [err.field]: text }, keepServices }, 400);
      }
      if (err instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        const minutes = retryMinutes(err);
        return renderPassword(ctx, { alert: `Too many wrong passwords. Please try again in about ${minutes} minute${minutes === 1 ? '' : 's'}.` }, 429);
      }
      throw err;
    }
    // Every session of the HAT ended with the change; this browser starts a new one, the others stay out.
    await startOwnerSession(ctx);
    notify(
      ctx,
      'ok',
      keepServices
        ? 'Your password is changed. You are still logged in here; every other session and every owner token has ended. The services you approved stay signed in.'
        : 'Your password is changed. You are still logged in here; every other session, every owner token and every token of the services you approved has ended.',
    );
    seeOther(ctx, '/');
  });

  router.get('/activity.json', async (ctx) => {
    if (!isLoggedIn(ctx)) {
      notify(ctx, 'info', 'Please log in to download your activity log.');
      return seeOther(ctx, '/');
    }
    const hat = hatOf(ctx);
    const exportedAt = new Date().toISOString();
    async function* json() {
      yield `{"hat":${JSON.stringify(address(ctx))},"exportedAt":${JSON.stringify(exportedAt)},"entries":[`;
      let first = true;
      for await (const batch of dashboard.activityExport(hat)) {
        for (const entry of batch) {
          yield (first ? '\n' : ',\n') + JSON.stringify(exportedEntry(entry));
          first = false;
        }
      }
      yield '\n]}\n';
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="activity-${hat.name}-${exportedAt.slice(0, 10)}.json"`);
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = Readable.from(json());
  });
}
