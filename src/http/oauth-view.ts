import type { ClientInstance, InteractionDetails, Provider } from 'oidc-provider';
import { InvalidInput, NotAuthenticated, Titles } from '../errors.js';
import type { Services } from '../services/index.js';
import { asksForMore, scopeLines } from '../services/permission-words.js';
import { displayHost } from '../services/redirects.js';
import { isLoggedIn } from './browser-login.js';
import { hatOf, type AppContext } from './context.js';
import type { ProviderCache } from './oidc/providers.js';
import { offerConsent } from './pages/consent.js';
import { sendBack } from './pages/hop.js';
import { renderPage } from './pages/render.js';
import type { FormProblem, Page } from './pages/rerender.js';
import { allowFormTarget } from './security.js';
import { sessionOf } from './session.js';

/** What the OAuth interaction pages share (SPEC 12): the interaction, its client as shown, its pages. */

const WRONG_PASSWORD = 'That password is not right. Please try again.';

export interface ClientView {
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

/** The interaction a page or form is about, from the HAT's provider; 400 when it expired or is another browser's. */
export async function loadInteraction(
  ctx: AppContext,
  cache: ProviderCache,
): Promise<{ provider: Provider; details: InteractionDetails; client: ClientView }> {
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

/**
 * Hands the owner's answer to the provider and follows it. The provider's resume endpoint then
 * redirects to the website, still within the form's redirects: for a website CSP cannot name,
 * the resume goes by the hop page (pages/hop.ts).
 */
export async function finishInteraction(ctx: AppContext, provider: Provider, client: ClientView, result: Record<string, unknown>, merge = false) {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  sendBack(ctx, to, client.redirect);
}

/**
 * The scopes the client's current grant already holds of those asked for, when it has a grant
 * (it asks again, for more); null for a first request. The provider names what is missing.
 */
function grantedBefore(details: InteractionDetails, asked: readonly string[]): string[] | null {
  if (!details.grantId) return null;
  const missing = details.prompt.details.missingOIDCScope;
  const lacking = new Set(Array.isArray(missing) ? (missing as string[]) : []);
  return asked.filter((s) => !lacking.has(s));
}

/** The scopes asked for, as the consent page lists and offers them. */
export function shownScopes(details: InteractionDetails): string {
  return String(details.params.scope ?? '').split(' ').filter(Boolean).sort().join(' ');
}

/**
 * Our login or consent page for this interaction; after a failed login, says why. The consent
 * page offers exactly the scopes it lists (pages/consent.ts), for the answer to claim.
 */
export function interactionPage(view: 'oauth-login' | 'oauth-consent', details: InteractionDetails, client: ClientView): Page {
  return async (ctx: AppContext, problem?: FormProblem) => {
    const tenant = ctx.state.tenant;
    const hat = tenant.kind === 'hat' ? tenant.address : '';
    const scopes = shownScopes(details);
    if (view === 'oauth-consent') offerConsent(ctx, { [client.id]: scopes }, { id: consentOffer(details) });
    const asked = scopes.split(' ');
    const lines = scopeLines(asked, hat, grantedBefore(details, asked));
    await renderPage(ctx, view, {
      client,
      uid: details.uid,
      shown: scopes,
      scopes: lines,
      asksForMore: asksForMore(lines),
      ...(problem?.retryMinutes ? { throttled: true, retryMinutes: problem.retryMinutes } : {}),
      ...(problem?.cause instanceof NotAuthenticated ? { error: WRONG_PASSWORD } : {}),
      ...(problem && !problem.cause ? { notice: { kind: 'info', text: problem.alert } } : {}),
    });
  };
}

/** The consent offer of one interaction: shown again, it replaces the earlier one. */
export function consentOffer(details: InteractionDetails): string {
  return `oauth:${details.uid}`;
}

/** Logged in on this browser recently enough for what the website asked (prompt=login, max_age). */
export function loginStands(ctx: AppContext, details: InteractionDetails): number | null {
  if (!isLoggedIn(ctx) || details.prompt.reasons.includes('login_prompt')) return null;
  const at = sessionOf(ctx)?.loggedInAt ?? 0;
  const maxAge = details.params.max_age === undefined ? undefined : Number(details.params.max_age);
  if (maxAge !== undefined && Date.now() - at > maxAge * 1000) return null;
  return Math.floor(at / 1000);
}

/** Consents and denials go to the activity log with the website as the page showed it. */
export function logDecision(ctx: AppContext, services: Services, client: ClientView, type: 'approval' | 'denial', detail?: string) {
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
