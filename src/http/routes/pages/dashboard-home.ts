import type { Services } from '../../../services/index.js';
import { isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppRouter } from '../../context.js';
import { activityView, oauthGrantsView, overviewView, when } from '../../dashboard-view.js';
import { offerConsent } from '../../pages/consent.js';
import { renderPage } from '../../pages/render.js';
import { currentSessionId } from '../../session.js';
import { allowImagesFrom } from '../../security.js';
import { pageParam } from './dashboard-activity.js';
import { loginPage } from './dashboard-login.js';

/** The consent offer of the dashboard's Enable and Allow buttons (pages/consent.ts): one per session, replaced on every showing. */
export const DASHBOARD_OFFER = 'dashboard';

/** GET / on a HAT host (SPEC 7): the owner's dashboard, or its login page. */
export function dashboardHomeRoutes(router: AppRouter, services: Services): void {
  const { dashboard } = services;
  const loggedOut = loginPage(services, { kind: 'ok', text: 'You have logged out.' });
  const loggedOutEverywhere = loginPage(services, {
    kind: 'ok',
    text: 'You have logged out everywhere: every browser that was logged in to your HAT, this one included, has to log in again.',
  });
  const login = loginPage(services);
  const afterReset = loginPage(services, {
    kind: 'ok',
    text: 'Your new password is set, and every session and token has ended. Log in with the new password.',
  });

  router.get('/', async (ctx) => {
    const page = pageParam(ctx);
    if (!isLoggedIn(ctx)) {
      if (ctx.query['logged-out'] === 'everywhere') return loggedOutEverywhere(ctx);
      if (ctx.query['logged-out'] !== undefined) return loggedOut(ctx);
      return ctx.query['password-reset'] !== undefined ? afterReset(ctx) : login(ctx);
    }
    // The activity log's pages moved to /activity; the dashboard shows the newest entries.
    if (ctx.query.page !== undefined) return seeOther(ctx, `/activity?page=${page}`);
    const hat = hatOf(ctx);
    const [overview, activity, oauthGrants, verified, sessions] = await Promise.all([
      dashboard.overview(hat),
      dashboard.recentActivity(hat),
      services.oauth.grants(hat.name),
      services.emails.isVerified(hat),
      services.browserSessions.list(hat, currentSessionId(ctx)),
    ]);
    const view = overviewView(overview);
    // Every application on the page, with exactly what it lists: the Enable and Allow buttons consent to that.
    const offered = [...view.applications, ...view.available];
    allowImagesFrom(ctx, offered.map((a) => a.logoUrl).filter((u) => u !== ''));
    offerConsent(ctx, Object.fromEntries(offered.map((a) => [a.id, a.shownKey])), { id: DASHBOARD_OFFER });
    await renderPage(ctx, 'dashboard', {
      hatName: hat.name,
      currentPage: 'dashboard',
      overview: view,
      activity: activityView(activity, view.names),
      email: { address: hat.email, verified },
      oauthGrants: oauthGrantsView(oauthGrants, ctx.state.tenant.kind === 'hat' ? ctx.state.tenant.address : hat.name),
      sessions: sessions.map((s) => ({ ...s, loggedInAt: when(s.loggedInAt), lastSeenAt: when(s.lastSeenAt) })),
    });
  });
}
