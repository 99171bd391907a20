import { cancelUrlOf, type ServiceRequest } from '../services/hatlogin.js';
import { applicationAbout, strongestAccess } from './application-view.js';
import type { Services } from '../services/index.js';
import type { AppContext } from './context.js';
import { seeOther } from './context.js';
import { flash } from './pages/flash.js';
import { renderPage } from './pages/render.js';
import { allowFormTarget, allowImagesFrom } from './security.js';

/** What the /hatlogin pages share: how they show the service, and how the flow starts again. */

const SESSION_EXPIRED = 'Your session expired; please enter your password again.';

/** The flow's own address, for starting it again. */
export function flowUrl(request: ServiceRequest): string {
  const fallback = request.fallback ? `&fallback=${encodeURIComponent(request.fallback)}` : '';
  return `/hatlogin?name=${encodeURIComponent(request.name)}&redirect=${encodeURIComponent(request.redirect)}${fallback}`;
}

/** Permissions in words, write first (readable permissions, issue 12). */
export function permissionSentences(permissions: ReadonlyArray<{ namespace: string; access: string }>) {
  return [...permissions]
    .sort((a, b) => (a.access === b.access ? a.namespace.localeCompare(b.namespace) : a.access === 'write' ? -1 : 1))
    .map((p) => ({
      namespace: p.namespace,
      write: p.access === 'write',
      sentence: p.access === 'write' ? `See, add and change your ${p.namespace} data` : `See your ${p.namespace} data`,
    }));
}

/** The facts both pages show about the service, shaped for the templates. */
function serviceView(request: ServiceRequest) {
  const app = request.application;
  return {
    name: request.name,
    redirect: request.redirect,
    /** SPEC 6.8: carried by the flow's forms; Deny and Cancel go to `cancelUrl`. */
    fallback: request.fallback ?? '',
    cancelUrl: cancelUrlOf(request),
    host: request.host,
    display: request.display,
    application: app
      ? {
          id: app.id,
          name: app.name,
          description: app.description,
          homepage: app.homepage,
          ...applicationAbout(app),
          permissions: permissionSentences(
            strongestAccess(app.permissions).map((p) => ({ namespace: p.namespace, access: p.write ? 'write' : 'read' })),
          ),
        }
      : null,
  };
}

/**
 * Renders a page of the flow about `request`. Browsers apply CSP `form-action` to the redirect
 * that follows a form post: both pages' forms may end at the service (a remembered approval
 * right after login), so both name it.
 */
export async function renderFlowPage(ctx: AppContext, view: string, request: ServiceRequest, locals: Record<string, unknown> = {}) {
  allowFormTarget(ctx, request.origin);
  // An application's logo is shown from its own (https) origin.
  if (request.application?.logoUrl) allowImagesFrom(ctx, [request.application.logoUrl]);
  await renderPage(ctx, view, { service: serviceView(request), ...locals });
}

/**
 * A form of this flow arrived without a live, logged-in session (it sat open past the
 * session's life, or the owner logged out meanwhile): start again with the same service.
 */
export async function startAgain(ctx: AppContext, services: Services, form: Record<string, string>): Promise<void> {
  const request = await services.hatlogin.parse(form);
  flash(ctx, 'info', SESSION_EXPIRED);
  seeOther(ctx, flowUrl(request));
}
