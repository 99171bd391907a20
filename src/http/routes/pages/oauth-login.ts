import { NotAuthenticated, TooManyAttempts } from '../../../errors.js';
import type { Services } from '../../../services/index.js';
import { readForm } from '../../body.js';
import { isLoggedIn, logIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppRouter } from '../../context.js';
import { finishInteraction, interactionPage, loadInteraction, loginStands } from '../../oauth-view.js';
import type { ProviderCache } from '../../oidc/providers.js';
import { onPage } from '../../pages/rerender.js';
import { checkCsrf } from '../../session.js';

/** GET /oauth/interaction/<uid> and its login form (SPEC 12): where the HAT's provider sends the owner. */
export function oauthLoginRoutes(router: AppRouter, services: Services, cache: ProviderCache): void {
  router.get('/oauth/interaction/:uid', async (ctx) => {
    const { provider, details, client } = await loadInteraction(ctx, cache);
    const hat = hatOf(ctx);
    if (details.prompt.name === 'login') {
      const ts = loginStands(ctx, details);
      if (ts !== null) return finishInteraction(ctx, provider, client, { login: { accountId: hat.ownerId, ts } });
      return interactionPage('oauth-login', details, client)(ctx);
    }
    if (!isLoggedIn(ctx)) return interactionPage('oauth-login', details, client)(ctx);
    return interactionPage('oauth-consent', details, client)(ctx);
  });

  router.post('/oauth/interaction/:uid/login', async (ctx) => {
    const form = await readForm(ctx);
    const { provider, details, client } = await loadInteraction(ctx, cache);
    checkCsrf(ctx, form._csrf);
    const attempt = { via: 'oauth', service: client.id, redirectHost: client.host } as const;
    await onPage(interactionPage('oauth-login', details, client), [NotAuthenticated, TooManyAttempts], () =>
      logIn(ctx, services, form.password ?? '', attempt),
    );
    if (details.prompt.name !== 'login') return seeOther(ctx, `/oauth/interaction/${details.uid}`);
    return finishInteraction(ctx, provider, client, { login: { accountId: hatOf(ctx).ownerId, ts: Math.floor(Date.now() / 1000) } });
  });
}
