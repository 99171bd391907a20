import { randomBytes } from 'node:crypto';
import { NotAuthenticated, TooManyAttempts, InvalidInput, Titles } from '../../errors.js';
import type { ServiceRequest } from '../../services/hatlogin.js';
import type { Services } from '../../services/index.js';
import { readForm } from '../body.js';
import { isLoggedIn, logIn, logOut } from '../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../context.js';
import { allowFormTarget } from '../security.js';
import { checkCsrf, csrfToken, sessionIsLive } from '../session.js';

/** An approval page that was shown: its forms post only this id, never the name or redirect. */
interface PendingApproval {
  name: string;
  redirect: string;
  /** The permissions the page listed, so that consent covers exactly what was shown. */
  permissions: string;
  at: number;
}

interface FlowSession {
  hatloginNotice?: string;
  hatloginPending?: Record<string, PendingApproval>;
}

/** How many approval pages (browser tabs) may be open at once. */
const MAX_PENDING = 5;

const WRONG_PASSWORD = 'That password is not right. Please try again.';
const SESSION_EXPIRED = 'Your session expired; please enter your password again.';
const PERMISSIONS_CHANGED = 'The application changed what it asks for. Please review it again.';

function flow(ctx: AppContext): FlowSession {
  return ctx.session as unknown as FlowSession;
}

function takeNotice(ctx: AppContext): string | undefined {
  const session = flow(ctx);
  const notice = session.hatloginNotice;
  if (notice) delete session.hatloginNotice;
  return notice;
}

/** The flow's own address, for starting it again. */
function flowUrl(request: ServiceRequest): string {
  return `/hatlogin?name=${encodeURIComponent(request.name)}&redirect=${encodeURIComponent(request.redirect)}`;
}

/** The facts both pages show about the service, shaped for the templates. */
function serviceView(request: ServiceRequest) {
  const app = request.application;
  return {
    name: request.name,
    redirect: request.redirect,
    host: request.host,
    display: request.display,
    application: app
      ? {
          id: app.id,
          name: app.name,
          description: app.description,
          homepage: app.homepage,
          permissions: app.permissions.map((p) => ({ namespace: p.namespace, write: p.access === 'write' })),
        }
      : null,
  };
}

/**
 * Browsers apply CSP `form-action` to the redirect that follows a form post: both pages'
 * forms may end at the service (a remembered approval right after login), so both name it.
 */
async function render(ctx: AppContext, view: string, request: ServiceRequest, locals: Record<string, unknown>, status = 200) {
  allowFormTarget(ctx, request.origin);
  const tenant = ctx.state.tenant;
  await ctx.render(view, {
    hatAddress: tenant.kind === 'hat' ? tenant.address : '',
    service: serviceView(request),
    csrf: csrfToken(ctx),
    ...locals,
  });
  ctx.status = status;
}

async function renderLogin(ctx: AppContext, request: ServiceRequest, locals: Record<string, unknown> = {}, status = 200) {
  await render(ctx, 'hatlogin-login', request, { notice: takeNotice(ctx), ...locals }, status);
}

async function renderApproval(ctx: AppContext, request: ServiceRequest, shownPermissions: string) {
  const session = flow(ctx);
  const pending = { ...(session.hatloginPending ?? {}) };
  const id = randomBytes(16).toString('base64url');
  pending[id] = {
    name: request.name,
    redirect: request.redirect,
    permissions: shownPermissions,
    at: Date.now(),
  };
  const newest = Object.entries(pending)
    .sort(([, a], [, b]) => b.at - a.at)
    .slice(0, MAX_PENDING);
  session.hatloginPending = Object.fromEntries(newest);
  await render(ctx, 'hatlogin-approve', request, { pendingId: id, notice: takeNotice(ctx) });
}

/**
 * The approval a form refers to, as it was shown; null when this session never showed it.
 * Removed from the session: each page can be answered once.
 */
function claimPending(ctx: AppContext, id: string | undefined): PendingApproval | null {
  const session = flow(ctx);
  const pending = session.hatloginPending ?? {};
  const found = id && Object.hasOwn(pending, id) ? pending[id] : undefined;
  if (!found || !id) return null;
  const rest = { ...pending };
  delete rest[id];
  session.hatloginPending = rest;
  return found;
}

/** GET and POST /hatlogin… on a HAT host: the login and approval pages of SPEC 6. */
export function hatloginRoutes(router: AppRouter, services: Services): void {
  const { hatlogin } = services;

  /**
   * A form of this flow arrived without a live, logged-in session (it sat open past the
   * session's life, or the owner logged out meanwhile): start again with the same service.
   */
  const startAgain = async (ctx: AppContext, form: Record<string, string>) => {
    const request = await hatlogin.parse(form);
    flow(ctx).hatloginNotice = SESSION_EXPIRED;
    seeOther(ctx, flowUrl(request));
  };

  router.get('/hatlogin', async (ctx) => {
    const request = await hatlogin.parse({ name: ctx.query.name, redirect: ctx.query.redirect });
    if (!isLoggedIn(ctx)) return renderLogin(ctx, request);
    const remembered = await hatlogin.approveIfRemembered(hatOf(ctx), request, { clientIp: ctx.ip });
    if (remembered) return seeOther(ctx, remembered);
    return renderApproval(ctx, request, hatlogin.shownPermissions(request));
  });

  router.post('/hatlogin/login', async (ctx) => {
    const form = await readForm(ctx);
    if (!sessionIsLive(ctx)) return startAgain(ctx, form);
    checkCsrf(ctx, form._csrf);
    const request = await hatlogin.parse(form);
    try {
      await logIn(ctx, services, form.password ?? '', { via: 'hatlogin', service: request.name, redirectHost: request.host });
    } catch (err) {
      if (err instanceof NotAuthenticated) return renderLogin(ctx, request, { error: WRONG_PASSWORD }, 401);
      if (err instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
        return renderLogin(ctx, request, { throttled: true, retryMinutes: minutes }, 429);
      }
      throw err;
    }
    // The same page decides what comes next: the approval page, or straight back to a remembered service.
    seeOther(ctx, flowUrl(request));
  });

  const answer = (decision: 'approve' | 'deny') => async (ctx: AppContext) => {
    const form = await readForm(ctx);
    if (!sessionIsLive(ctx) || !isLoggedIn(ctx)) return startAgain(ctx, form);
    checkCsrf(ctx, form._csrf);
    const pending = claimPending(ctx, form.pending);
    if (!pending || !(await hatlogin.claimAnswer(hatOf(ctx).name, form.pending!))) {
      throw new InvalidInput(
        'This approval page was already answered or is no longer valid; go back to the site you came from and try again',
        { field: 'pending', title: Titles.approvalExpired },
      );
    }
    const hat = hatOf(ctx);
    // Exactly what the page showed, whatever the form's other fields say now.
    const request = await hatlogin.parse(pending);
    const actor = { clientIp: ctx.ip };
    if (decision === 'deny') return seeOther(ctx, await hatlogin.deny(hat, request, actor));
    if (!hatlogin.stillAsShown(request, pending.permissions)) {
      flow(ctx).hatloginNotice = PERMISSIONS_CHANGED;
      return seeOther(ctx, flowUrl(request));
    }
    seeOther(ctx, await hatlogin.approve(hat, request, actor));
  };
  router.post('/hatlogin/approve', answer('approve'));
  router.post('/hatlogin/deny', answer('deny'));

  /** "Log out" on the approval page: ends the session and shows the login page for the same service. */
  router.post('/hatlogin/logout', async (ctx) => {
    const form = await readForm(ctx);
    if (!sessionIsLive(ctx)) return startAgain(ctx, form);
    checkCsrf(ctx, form._csrf);
    const request = await hatlogin.parse(form);
    await logOut(ctx, services, 'hatlogin');
    seeOther(ctx, flowUrl(request));
  });
}
