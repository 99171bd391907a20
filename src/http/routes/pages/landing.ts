import { clusterAddress } from '../../../config.js';
import { InvalidInput, NotFound } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { seeOther, type AppContext, type AppRouter } from '../../context.js';
import { renderPage } from '../../pages/render.js';
import { onPage, type FormProblem, type Page } from '../../pages/rerender.js';
import { allowFormTarget } from '../../security.js';

/** The cluster's landing page (SPEC 9) and its "Go to my HAT" form (GET /go). */
export function landingRoutes(router: AppRouter, services: Services): void {
  const { config } = services;
  const cluster = clusterAddress(config);

  /** The landing page; after "Go to my HAT" failed, with the name typed and why. */
  const landingPage =
    (typed = ''): Page =>
    async (ctx: AppContext, problem?: FormProblem) => {
      // "Go to my HAT" ends in a redirect to the HAT's own host, and form-action covers redirects.
      allowFormTarget(ctx, `${config.publicScheme}://*.${cluster}`);
      const error = problem ? (problem.alert ?? Object.values(problem.fields)[0]) : undefined;
      await renderPage(ctx, 'landing', { cluster, go: problem ? { name: typed, error } : {} }, { forms: false });
    };

  router.get('/', async (ctx) => landingPage()(ctx));

  router.get('/go', async (ctx) => {
    const typed = typeof ctx.query.name === 'string' ? ctx.query.name : '';
    const found = await onPage(landingPage(typed), [InvalidInput, NotFound], () => services.locator.locate(typed));
    seeOther(ctx, found.url + '/');
  });
}
