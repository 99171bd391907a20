import type { ClientInstance, InteractionDetails, Provider } from 'oidc-provider';
import { InvalidInput, NotAuthenticated, Titles, TooManyAttempts } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { displayHost } from '../../services/redirects.js';
import { readForm } from '../body.js';
import { isLoggedIn, logIn } from '../browser-login.js';
import { hatOf, seeOther, type AppContext, type AppRouter } from '../context.js';
import type { ProviderCache } from '../oidc/providers.js';
import { allowFormTarget } from '../security.js';
import { claimConsent, offerConsent } from '../pages/consent.js';
import { renderPage } from '../pages/render.js';
import { onPage, ReRender, type FormProblem, type Page } from '../pages/rerender.js';
import { checkCsrf, sessionOf } from '../session.js';

const WRONG_PASSWORD = 'That password is not right. Please try again.';
const CHANGED = 'The request changed since this page was shown. Please review it again.';

/** What each scope means to the owner, in the order the page lists them. */
function describeScope(scope: string, hat: string): string | null {
  switch (scope) {
    case 'openid':
      return `That you own ${hat}`;
    case 'profile':
      return 'Your name and your HAT name';
    case 'email':
      return 'Your email address';
    case 'offline_access':
      return 'Keep this access while you are away (until you revoke it)';
  }
  const m = /^data:([0-9a-z-]+):(read|write)$/.exec(scope);
  if (m) return m[2] === 'write' ? `Read and change your "${m[1]}" data` : `Read your "${m[1]}" data`;
  return null;
}

interface ClientView {
  id: string;
  name: string;
  /** An unregistered website: its host leads, its name is its own claim. */
  selfDescribed: boolean;
  host: string;
  display: ReturnType<typeof displayHost>;
  origin: string;
  redirect: string;
}

function clientView(client: ClientInstance, details: InteractionDetails): ClientView {
  const redirect = String(details.params.redirect_uri ?? client.redirectUris[0] ?? '');
  const selfDescribed = client.clientIdMetadataDocument === true;
  const url = new URL(selfDescribed ? client.clientId : redirect);
  return {
    id: client.clientId,
    name: client.clientName ?? url.host,
    selfDescribed,
    host: url.host,
    display: displayHost(url),
    origin: new URL(redirect).origin,
    redirect,
  };
}

/** Our login and approval pages as oidc-provider's interactions (SPEC 12): same look, CSRF, throttle, log. */
export function oauthInteractionRoutes(router: AppRouter, services: Services, cache: ProviderCache): void {
  async function load(ctx: AppContext): Promise<{ provider: Provider; details: InteractionDetails; client: ClientView }> {
    const { provider } = await cache.get(hatOf(ctx));
    let details: InteractionDetails;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      throw new InvalidInput('This sign-in page has expired or was already used; go back to the website and start again', { field: 'interaction', title: Titles.approvalExpired });
    }
    if (details.uid !== ctx.params.uid) throw new InvalidInput('This sign-in page does not belong to this browser', { field: 'interaction', title: Titles.approvalExpired });
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) throw new InvalidInput('The website of this sign-in is no longer known', { field: 'client_id', title: Titles.badRequest });
    const view = clientView(client, details);
    // The form's answer ends in a redirect to the website: CSP form-action must allow it.
    allowFormTarget(ctx, view.origin);
    return { provider, details, client: view };
  }

  async function finish(ctx: AppContext, provider: Provider, result: Record<string, unknown>, merge = false) {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    seeOther(ctx, to);
  }

  function shownScopes(details: InteractionDetails): string {
    return String(details.params.scope ?? '').split(' ').filter(Boolean).sort().join(' ');
  }

  /**
   * Our login or consent page for this interaction; after a failed login, says why. The consent
   * page offers exactly the scopes it lists (pages/consent.ts), for the answer to claim.
   */
  function page(view: 'oauth-login' | 'oauth-consent', details: InteractionDetails, client: ClientView): Page {
    return async (ctx: AppContext, problem?: FormProblem) => {
      const tenant = ctx.state.tenant;
      const hat = tenant.kind === 'hat' ? tenant.address : '';
      const scopes = shownScopes(details);
      if (view === 'oauth-consent') offerConsent(ctx, { [client.id]: scopes }, { id: consentOffer(details) });
      await renderPage(ctx, view, {
        client,
        uid: details.uid,
        shown: scopes,
        scopes: scopes.split(' ').map((s) => describeScope(s, hat)).filter(Boolean),
        ...(problem?.retryMinutes ? { throttled: true, retryMinutes: problem.retryMinutes } : {}),
        ...(problem?.cause instanceof NotAuthenticated ? { error: WRONG_PASSWORD } : {}),
        ...(problem && !problem.cause ? { notice: { kind: 'info', text: problem.alert } } : {}),
      });
    };
  }

  /** The consent offer of one interaction: shown again, it replaces the earlier one. */
  function consentOffer(details: InteractionDetails): string {
    return `oauth:${details.uid}`;
  }

  /** Logged in on this browser recently enough for what the website asked (prompt=login, max_age). */
  function loginStands(ctx: AppContext, details: InteractionDetails): number | null {
    if (!isLoggedIn(ctx) || details.prompt.reasons.includes('login_prompt')) return null;
    const at = sessionOf(ctx)?.loggedInAt ?? 0;
    const maxAge = details.params.max_age === undefined ? undefined : Number(details.params.max_age);
    if (maxAge !== undefined && Date.now() - at > maxAge * 1000) return null;
    return Math.floor(at / 1000);
  }

  /** Consents and denials go to the activity log with the website as the page showed it. */
  function logDecision(ctx: AppContext, client: ClientView, type: 'approval' | 'denial', detail?: string) {
    return services.activity.record({
      hat: hatOf(ctx).name,
      type,
      via: 'oauth',
      service: client.selfDescribed ? client.host : client.id,
      redirectHost: new URL(client.redirect).host,
      clientIp: ctx.ip,
      ...(detail ? { detail } : {}),
    });
  }

  router.get('/oauth/interaction/:uid', async (ctx) => {
    const { provider, details, client } = await load(ctx);
    const hat = hatOf(ctx);
    if (details.prompt.name === 'login') {
      const ts = loginStands(ctx, details);
      if (ts !== null) return finish(ctx, provider, { login: { accountId: hat.ownerId, ts } });
      return page('oauth-login', details, client)(ctx);
    }
    if (!isLoggedIn(ctx)) return page('oauth-login', details, client)(ctx);
    return page('oauth-consent', details, client)(ctx);
  });

  router.post('/oauth/interaction/:uid/login', async (ctx) => {
    const form = await readForm(ctx);
    const { provider, details, client } = await load(ctx);
    checkCsrf(ctx, form._csrf);
    const attempt = { via: 'oauth', service: client.id, redirectHost: client.host } as const;
    await onPage(page('oauth-login', details, client), [NotAuthenticated, TooManyAttempts], () =>
      logIn(ctx, services, form.password ?? '', attempt),
    );
    if (details.prompt.name !== 'login') return seeOther(ctx, `/oauth/interaction/${details.uid}`);
    return finish(ctx, provider, { login: { accountId: hatOf(ctx).ownerId, ts: Math.floor(Date.now() / 1000) } });
  });

  router.post('/oauth/interaction/:uid/confirm', async (ctx) => {
    const form = await readForm(ctx);
    const { provider, details, client } = await load(ctx);
    checkCsrf(ctx, form._csrf);
    const hat = hatOf(ctx);
    if (!isLoggedIn(ctx) || details.prompt.name !== 'consent') return seeOther(ctx, `/oauth/interaction/${details.uid}`);
    // Consent covers exactly what the page showed: if the request differs now, show it again.
    const consent = claimConsent(ctx, consentOffer(details), { service: client.id, echoed: form.shown ?? '' });
    if (consent?.permissions !== shownScopes(details)) {
      throw new ReRender(page('oauth-consent', details, client), { status: 409, fields: {}, alert: CHANGED });
    }
    const accountId = details.session?.accountId ?? hat.ownerId;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: client.id });
    if (!grant) return seeOther(ctx, `/oauth/interaction/${details.uid}`);
    const missing = details.prompt.details;
    if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope((missing.missingOIDCScope as string[]).join(' '));
    if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    const grantId = await grant.save();
    await services.oauth.rememberClient(hat.name, client.id, { name: client.name, host: client.host, selfDescribed: client.selfDescribed });
    await logDecision(ctx, client, 'approval', `scopes: ${shownScopes(details)}`);
    return finish(ctx, provider, { consent: details.grantId ? {} : { grantId } }, true);
  });

  router.post('/oauth/interaction/:uid/abort', async (ctx) => {
    const form = await readForm(ctx);
    const { provider, details, client } = await load(ctx);
    checkCsrf(ctx, form._csrf);
    await logDecision(ctx, client, 'denial');
    return finish(ctx, provider, { error: 'access_denied', error_description: 'The owner of the HAT did not allow it' });
  });
}
