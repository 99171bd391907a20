import { baseUrl, clusterAddress } from '../config.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import type { Next } from 'koa';
import serve from 'koa-static';
import views from 'koa-views';
import nunjucks from 'nunjucks';
import type { Services } from '../services/index.js';
import type { AppContext, AppRouter, AppState } from './context.js';
import { errorResponder, MethodNotAllowed } from './errors.js';
import { requestLog } from './logging.js';
import { adminRoutes } from './routes/admin.js';
import { adminHatRoutes } from './routes/admin-hats.js';
import { requestMetrics } from './metrics.js';
import { metricsRoutes } from './routes/metrics.js';
import { applicationRoutes } from './routes/applications.js';
import { oauthInteractionRoutes, oauthMount, oauthProviders } from './routes/oauth.js';
import type { ProviderCache } from './oidc/providers.js';
import { dataRoutes } from './routes/data.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { dashboardActivityRoutes } from './routes/pages/dashboard-activity.js';
import { dashboardHomeRoutes } from './routes/pages/dashboard-home.js';
import { dashboardLoginRoutes } from './routes/pages/dashboard-login.js';
import { dashboardPasswordRoutes } from './routes/pages/dashboard-password.js';
import { dashboardServicesRoutes } from './routes/pages/dashboard-services.js';
import { dashboardRevokeRoutes } from './routes/pages/dashboard-revoke.js';
import { dashboardSessionsRoutes } from './routes/pages/dashboard-sessions.js';
import { signupHandoffRoutes } from './routes/pages/signup-handoff.js';
import { hatloginApproveRoutes } from './routes/pages/hatlogin-approve.js';
import { hatloginLoginRoutes } from './routes/pages/hatlogin-login.js';
import { continueRoutes } from './routes/pages/continue.js';
import { landingRoutes } from './routes/pages/landing.js';
import { signupRoutes } from './routes/signup/api.js';
import { signupFormRoutes } from './routes/signup/form.js';
import { tokenRoutes } from './routes/tokens.js';
import { confirmEmailRoutes } from './routes/pages/confirm-email.js';
import { dashboardEmailRoutes } from './routes/pages/dashboard-email.js';
import { devOutboxRoutes } from './routes/pages/dev-outbox.js';
import { recoverRequestRoutes } from './routes/pages/recover-request.js';
import { recoverResetRoutes } from './routes/pages/recover-reset.js';
import { securityHeaders } from './security.js';
import { browserSession } from './session.js';
import { reRenderPages } from './pages/rerender.js';
import { matchCachingRouter } from './router.js';
import { tenancy } from './tenancy.js';
import { crossOriginApi } from './cors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROOT_DIR = path.basename(ROOT) === 'dist' ? path.dirname(ROOT) : ROOT;
export const VIEWS_DIR = path.join(ROOT_DIR, 'views');
export const PUBLIC_DIR = path.join(ROOT_DIR, 'public');

/** Routes of the cluster's own host (`HAT_DOMAIN`, `localhost`). */
function clusterRouter(services: Services): AppRouter {
  const router = matchCachingRouter();
  healthRoutes(router, services);
  signupRoutes(router, services);
  signupFormRoutes(router, services);
  landingRoutes(router, services);
  adminRoutes(router, services);
  recoverRequestRoutes(router, services);
  recoverResetRoutes(router, services);
  confirmEmailRoutes(router, services);
  devOutboxRoutes(router, services);
  adminHatRoutes(router, services);
  metricsRoutes(router, services);
  return router;
}

/** Routes of a HAT's host (`<name>.HAT_DOMAIN`). */
function hatRouter(services: Services, oauth: ProviderCache): AppRouter {
  const router = matchCachingRouter();
  healthRoutes(router, services);
  keyRoutes(router, services);
  tokenRoutes(router, services);
  hatloginLoginRoutes(router, services);
  hatloginApproveRoutes(router, services);
  continueRoutes(router);
  applicationRoutes(router, services);
  dataRoutes(router, services);
  dashboardHomeRoutes(router, services);
  dashboardLoginRoutes(router, services);
  dashboardServicesRoutes(router, services);
  dashboardRevokeRoutes(router, services);
  dashboardSessionsRoutes(router, services);
  signupHandoffRoutes(router, services);
  dashboardPasswordRoutes(router, services);
  dashboardActivityRoutes(router, services);
  recoverRequestRoutes(router, services);
  recoverResetRoutes(router, services);
  confirmEmailRoutes(router, services);
  dashboardEmailRoutes(router, services);
  oauthInteractionRoutes(router, services, oauth);
  return router;
}

/** Renders a page of views/ to a string (also for pages made outside a route, e.g. oidc-provider's errors). */
export type PageRender = (file: string, locals: object) => Promise<string>;

function pageEnvironment(production: boolean): PageRender {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: !production }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  return (file, locals) =>
    new Promise<string>((resolve, reject) => env.render(file, locals, (err, html) => (err ? reject(err) : resolve(html ?? ''))));
}

function pageRenderer(render: PageRender) {
  return views(VIEWS_DIR, { extension: 'njk', map: { njk: 'nunjucks' }, engineSource: { nunjucks: render } } as never);
}

/** Static files under /static/, cached by browsers for an hour. */
function staticFiles() {
  const files = serve(PUBLIC_DIR, { maxage: 3600 * 1000, index: false });
  return async function serveStatic(ctx: AppContext, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/static/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const original = ctx.path;
    ctx.path = original.slice('/static'.length);
    try {
      await files(ctx as never, async () => {});
    } finally {
      ctx.path = original;
    }
    if (ctx.body === undefined) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
  };
}

export function createApp(services: Services): Koa<AppState> {
  const { config, log } = services;
  // Behind a trusted proxy only the address it appended counts: earlier X-Forwarded-For entries
  // are whatever the client wrote, and the login throttle keys on this address.
  const app = new Koa<AppState>({ proxy: config.trustProxy, maxIpsCount: 1 });
  app.silent = true;
  // Koa reports here what happens after the response began (a streamed download that fails
  // half-way); everything earlier goes through errorResponder.
  app.on('error', (err: unknown) => log.error({ err }, 'response failed after it began'));

  const render = pageEnvironment(config.production);
  const oauth = oauthProviders(services, render);
  const routers = { cluster: clusterRouter(services), hat: hatRouter(services, oauth) };
  const dispatch = {
    cluster: [routers.cluster.routes(), allowed(routers.cluster)],
    hat: [routers.hat.routes(), allowed(routers.hat)],
  };

  app.use(requestLog(log, services.metrics.enabled ? requestMetrics(services.metrics) : undefined));
  app.use(securityHeaders(config));
  app.use(pageRenderer(render));
  app.use(errorResponder(log, baseUrl(config, clusterAddress(config)) + '/'));
  app.use(staticFiles());
  app.use(tenancy(config, services.hats));
  app.use(crossOriginApi());
  app.use(browserSession(app, config, services.sessions));
  app.use(reRenderPages);
  app.use(oauthMount(oauth));
  app.use(async (ctx: AppContext, next: Next) => {
    const [routes, methods] = dispatch[ctx.state.tenant.kind];
    await routes!(ctx as never, async () => {
      await methods!(ctx as never, next);
    });
  });
  return app;
}

/** 405 with the router's Allow header (its `throw` option would drop that header). */
function allowed(router: AppRouter) {
  const methods = router.allowedMethods();
  return async function methodNotAllowed(ctx: AppContext, next: Next): Promise<void> {
    await methods(ctx as never, next);
    if (ctx.status === 405 && ctx.body == null) {
      throw new MethodNotAllowed(`${ctx.method} is not allowed here; use ${ctx.response.get('Allow')}`);
    }
  };
}
