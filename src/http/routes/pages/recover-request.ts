import { baseUrl, clusterAddress } from '../../../config.js';
import { InvalidInput, TooManyAttempts } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { LINK_MINUTES } from '../../../services/links.js';
import { readForm } from '../../body.js';
import { seeOther, type AppContext, type AppRouter } from '../../context.js';
import { renderPage } from '../../pages/render.js';
import { onPage, ReRender, type FormProblem, type Page } from '../../pages/rerender.js';
import { checkCsrf } from '../../session.js';

const FORM_EXPIRED = 'This form expired. Please send it again.';

/** The HAT of a request on a HAT host, or undefined on the cluster's own pages. */
export function hatHere(ctx: AppContext) {
  return ctx.state.tenant.kind === 'hat' ? ctx.state.tenant : undefined;
}

/** The cluster's start page, where a person without a HAT address goes back to. */
export function clusterUrlOf(services: Services): string {
  return baseUrl(services.config, clusterAddress(services.config)) + '/';
}

/**
 * "Forgot password?": the HAT name or email (on a HAT's host, its name to start with), and what
 * was wrong with it: at the field, or above the form for an expired form or too many requests.
 */
const requestPage = (clusterUrl: string, typed?: string): Page => async (ctx: AppContext, problem?: FormProblem) => {
  await renderPage(ctx, 'recover', {
    identifier: typed ?? hatHere(ctx)?.hat.name ?? '',
    clusterUrl,
    error: problem?.fields.identifier,
    alert: problem?.retryMinutes ? undefined : problem?.alert,
    throttled: problem?.retryMinutes,
  });
};

/**
 * GET/POST /recover and GET /recover/sent (SPEC 13), on the cluster's host and on every HAT's:
 * ask for a reset link. The answer is the same whether or not the HAT exists.
 */
export function recoverRequestRoutes(router: AppRouter, services: Services): void {
  const { recovery } = services;
  const clusterUrl = clusterUrlOf(services);

  router.get('/recover', async (ctx) => requestPage(clusterUrl)(ctx));

  router.post('/recover', async (ctx) => {
    const form = await readForm(ctx);
    const identifier = (form.identifier ?? '').slice(0, 300);
    const page = requestPage(clusterUrl, identifier);
    try {
      checkCsrf(ctx, form._csrf);
    } catch {
      throw new ReRender(page, { status: 403, fields: {}, alert: FORM_EXPIRED });
    }
    await onPage(page, [InvalidInput, TooManyAttempts], () => recovery.request(identifier, ctx.ip, hatHere(ctx)?.hat.name));
    seeOther(ctx, '/recover/sent');
  });

  router.get('/recover/sent', async (ctx) => {
    await renderPage(ctx, 'recover-sent', { minutes: LINK_MINUTES, clusterUrl }, { forms: false });
  });
}
