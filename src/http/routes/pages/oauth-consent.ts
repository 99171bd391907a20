import type { Services } from '../../../services/index.js';
import { readForm } from '../../body.js';
import { isLoggedIn } from '../../browser-login.js';
import { hatOf, seeOther, type AppRouter } from '../../context.js';
import { consentOffer, finishInteraction, interactionPage, loadInteraction, logDecision, shownScopes } from '../../oauth-view.js';
import type { ProviderCache } from '../../oidc/providers.js';
import { claimConsent } from '../../pages/consent.js';
import { ReRender } from '../../pages/rerender.js';
import { checkCsrf } from '../../session.js';

const CHANGED = 'The request changed since this page was shown. Please review it again.';

/** The OAuth consent page's answers (SPEC 12): allow exactly what it listed, or deny. */
export function oauthConsentRoutes(router: AppRouter, services: Services, cache: ProviderCache): void {
  router.post('/oauth/interaction/:uid/confirm', async (ctx) => {
    const form = await readForm(ctx);
    const { provider, details, client } = await loadInteraction(ctx, cache);
    checkCsrf(ctx, form._csrf);
    const hat = hatOf(ctx);
    if (!isLoggedIn(ctx) || details.prompt.name !== 'consent') return seeOther(ctx, `/oauth/interaction/${details.uid}`);
    // Consent covers exactly what the page showed: if the request differs now, show it again.
    const consent = claimConsent(ctx, consentOffer(details), { service: client.id, echoed: form.shown ?? '' });
    if (consent?.permissions !== shownScopes(details)) {
      throw new ReRender(interactionPage('oauth-consent', details, client), { status: 409, fields: {}, alert: CHANGED });
    }
    const accountId = details.session?.accountId ?? hat.ownerId;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: client.id });
    if (!grant) return seeOther(ctx, `/oauth/interaction/${details.uid}`);
    const missing = details.prompt.details;
    if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope((missing.missingOIDCScope as string[]).join(' '));
    if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    const grantId = await grant.save();
    await services.oauth.rememberClient(hat.name, client.id, { name: client.name, host: client.host, selfDescribed: client.selfDescribed });
    await logDecision(ctx, services, client, 'approval', `scopes: ${shownScopes(details)}`);
    return finishInteraction(ctx, provider, client, { consent: details.grantId ? {} : { grantId } }, true);
  });

  router.post('/oauth/interaction/:uid/abort', async (ctx) => {
    const form = await readForm(ctx);
    const { provider, client } = await loadInteraction(ctx, cache);
    checkCsrf(ctx, form._csrf);
    await logDecision(ctx, services, client, 'denial');
    return finishInteraction(ctx, provider, client, { error: 'access_denied', error_description: 'The owner of the HAT did not allow it' });
  });
}
