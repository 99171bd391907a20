import { cancelUrlOf, type ServiceRequest } from '../services/hatlogin.js';
import { applicationAbout } from './application-view.js';
import { asksForMore, permissionLines } from '../services/permission-words.js';
import type { Permission } from '../store/ports.js';
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

/**
 * The facts both pages show about the service, shaped for the templates. `allowed`: what the
 * owner's current consent already gives the application, when it is enabled and asks again.
 */
function serviceView(request: ServiceRequest, allowed: readonly Permission[] | null) {
  const app = request.application;
  const permissions = app ? permissionLines(app.permissions, allowed) : [];
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
          permissions,
          asksForMore: asksForMore(permissions),
        }
      : null,
  };
}

/**
 * Renders a page of the flow about `request`. Browsers apply CSP `form-action` to the redirect
 * that follows a form post: both pages' forms may end at the service (a remembered approval
 * right after login), so both name it.
 */
export async function renderFlowPage(
  ctx: AppContext,
  view: string,
  request: ServiceRequest,
  locals: Record<string, unknown> = {},
  allowed: readonly Permission[] | null = null,
) {
  allowFormTarget(ctx, request.origin);
  // An application's logo is shown from its own (https) origin.
  if (request.application?.logoUrl) allowImagesFrom(ctx, [request.application.logoUrl]);
  await renderPage(ctx, view, { service: serviceView(request, allowed), ...locals });
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
