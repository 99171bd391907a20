import { InvalidInput, Titles } from '../errors.js';
import type { ApplicationRecord, HatRecord, Permission, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { Approvals } from './approvals.js';
import type { HatApplications } from './hat-applications.js';
import type { ApplicationRegistry } from './registry.js';
import type { Tokens } from './tokens.js';
import { permissionsKey } from './permissions.js';
import { NameGuard, parseServiceName } from './service-names.js';
import { displayHost, isRegisteredRedirect, parseRedirect, resourceOf, withParams, type DisplayHost } from './redirects.js';

/** How long a claimed approval page is remembered: longer than any session that could show it. */
const ANSWER_CLAIM_MS = 24 * 3600 * 1000;

export { MAX_NAME_LENGTH } from './service-names.js';

/** A service's `/hatlogin` request once its `name` and `redirect` passed SPEC 6.1-6.2. */
export interface ServiceRequest {
  /** The name as given (generic), or the application id (approved). */
  name: string;
  /** The redirect as validated: absolute, normalised by the URL parser. */
  redirect: string;
  /** `host[:port]` of the redirect. */
  host: string;
  /** `scheme://host[:port]`: what a generic approval is remembered for. */
  origin: string;
  display: DisplayHost;
  /** The redirect without any `token` parameter: the `resource` claim of the token. */
  resource: string;
  /** Set when `name` is a registered application whose redirect URL this is. */
  application: ApplicationRecord | null;
  /** SPEC 6.8: where Deny and Cancel send the browser instead of `redirect`, when given. */
  fallback: string | null;
}

/**
 * `/hatlogin`'s parameters as a service sends them: `name` and `redirect`, or the HAT
 * dashboard's `application_id` and `redirect_uri` (SPEC 6.8), and an optional `fallback`.
 */
export interface HatLoginInput {
  name?: unknown;
  redirect?: unknown;
  application_id?: unknown;
  redirect_uri?: unknown;
  fallback?: unknown;
}

/** Who is acting, for the activity log. */
export interface Actor {
  clientIp: string;
}

function refuse(detail: string, field: 'name' | 'redirect' | 'fallback'): never {
  throw new InvalidInput(detail, { field, title: Titles.invalidLoginRequest });
}

/** SPEC 6.1 and 6.9 for `name` (the rules live in service-names.ts). */
export const parseName = parseServiceName;

/**
 * Where Deny and Cancel send the browser (SPEC 6.3, 6.5, 6.8): `fallback` when the service gave
 * one, else `redirect`, with `error=access_denied` and without a stale `token` parameter.
 */
export function cancelUrlOf(request: Pick<ServiceRequest, 'fallback' | 'redirect'>): string {
  return withParams(request.fallback ?? request.redirect, { error: 'access_denied' }, ['token']);
}

/** `name` or its alias `application_id` (SPEC 6.8); both may be given only when they agree. */
function eitherOf(input: HatLoginInput, main: 'name' | 'redirect', alias: 'application_id' | 'redirect_uri'): unknown {
  const [a, b] = [input[main], input[alias]];
  if (a === undefined || a === '') return b;
  if (b !== undefined && b !== '' && b !== a) refuse(`The service gave both ${main} and ${alias}, and they differ`, main);
  return a;
}

/**
 * SPEC 6.8's `fallback`: a URL by the rules of `redirect`, on the redirect's origin; for an
 * application, also one of its registered redirect URLs (query aside). A fallback could
 * otherwise send the person anywhere in the service's name: an open redirect.
 */
function parseFallback(raw: unknown, redirect: URL, application: ApplicationRecord | null): string {
  const url = parseRedirect(raw, 'fallback');
  if (url.origin !== redirect.origin) {
    refuse(`The fallback URL must be on the same site as the redirect URL (${redirect.origin}), not ${url.origin}`, 'fallback');
  }
  if (application && !isRegisteredRedirect(application.redirectUris, url)) {
    refuse(`The fallback URL is not one of the registered addresses of the application "${application.id}"`, 'fallback');
  }
  return url.href;
}

/**
 * The "Log in with HAT" flow's decisions (SPEC 6): which requests are acceptable, whether the
 * owner approved this service before, and what approving or denying it does — the token, the
 * remembered approval or application grant, the activity log, and where the browser goes next.
 */
export class HatLogin {
  constructor(
    private readonly registry: ApplicationRegistry,
    /** Claims that succeed once, across processes: an approval page is answered once. */
    private readonly once: Store['once'],
    private readonly tokens: Tokens,
    private readonly activity: ActivityLog,
    private readonly approvals: Approvals,
    private readonly applications: HatApplications,
  ) {}

  /** SPEC 6.9: generic names confusable with a registered application are refused. */
  private readonly names = new NameGuard(() => this.registry.list());

  /** Validates `name`, `redirect` and `fallback` (SPEC 6.1-6.2, 6.8, 6.9); throws InvalidInput (400) otherwise. */
  async parse(input: HatLoginInput): Promise<ServiceRequest> {
    const name = parseName(eitherOf(input, 'name', 'application_id'));
    const url = parseRedirect(eitherOf(input, 'redirect', 'redirect_uri'));
    const application = await this.applicationNamed(name);
    if (!application) await this.names.check(name);
    if (application && !isRegisteredRedirect(application.redirectUris, url)) {
      refuse(`${url.host} is not one of the registered addresses of the application "${application.id}"`, 'redirect');
    }
    return {
      fallback: input.fallback === undefined || input.fallback === '' ? null : parseFallback(input.fallback, url, application),
      name: application ? application.id : name,
      redirect: url.href,
      host: url.host,
      origin: url.origin,
      display: displayHost(url),
      resource: resourceOf(url),
      application,
    };
  }

  /**
   * When the owner approved this service before (SPEC 6.6), approves it again on their behalf
   * and returns where to send the browser; null when they must be asked. An application counts
   * as approved while it is enabled and the owner's consent covers everything it now declares:
   * when it asks for more, the owner is asked again.
   */
  async approveIfRemembered(hat: HatRecord, request: ServiceRequest, actor: Actor): Promise<string | null> {
    if (request.application) {
      // The registration the page shows; one grant read (no second registry read, no newest record).
    const status = await this.applications.grantStatus(hat, request.application);
      if (!status.active) return null;
      await this.applications.loggingIn(hat, request.application.id);
      return this.finish(hat, request, actor, 'remembered');
    }
    if (!(await this.approvals.reuse(hat.name, request.name, request.origin))) return null;
    return this.finish(hat, request, actor, 'remembered');
  }

  /**
   * Claims the answer to one approval page, once across every request and process: eight
   * concurrent posts of the same page (the session holding it is read by each before any
   * writes it back) must issue one token, not eight. False when it was answered already.
   */
  claimAnswer(hat: string, pageId: string): Promise<boolean> {
    return this.once.claim(`approval-page:${hat}:${pageId}`, new Date(Date.now() + ANSWER_CLAIM_MS));
  }

  /** What an approval page for `request` shows of its permissions, to hold its answer to. */
  shownPermissions(request: ServiceRequest): string {
    return permissionsKey(request.application?.permissions ?? []);
  }

  /**
   * What the owner's current consent already gives the application of `request`, when it is
   * enabled on `hat` and asks again (its registration grew): the approval page marks the rest
   * "New". Null for a first request, a generic service, or an application the owner turned off.
   */
  async alreadyAllowed(hat: HatRecord, request: ServiceRequest): Promise<Permission[] | null> {
    if (!request.application) return null;
    // The registration the page shows; one grant read (no second registry read, no newest record).
    const status = await this.applications.grantStatus(hat, request.application);
    return status.enabled ? status.granted : null;
  }

  /** Whether the application still asks for what the approval page showed (`shownPermissions`). */
  stillAsShown(request: ServiceRequest, shown: string): boolean {
    return this.shownPermissions(request) === shown;
  }

  /**
   * The owner approved (SPEC 6.5). A generic service is remembered for its name and origin; an
   * application is enabled with a snapshot of exactly the permissions it declares (the route
   * checked `stillAsShown` first).
   */
  async approve(hat: HatRecord, request: ServiceRequest, actor: Actor): Promise<string> {
    const app = request.application;
    if (app) {
      await this.applications.enable(hat, app.id, { via: 'hatlogin', clientIp: actor.clientIp });
      await this.applications.loggingIn(hat, app.id);
    } else {
      await this.approvals.approve(hat.name, request.name, request.origin);
    }
    return this.finish(hat, request, actor, app ? 'application enabled' : 'approved');
  }

  /** The owner said no (SPEC 6.5): nothing is remembered, the service learns `access_denied`. */
  async deny(hat: HatRecord, request: ServiceRequest, actor: Actor): Promise<string> {
    await this.activity.record({ hat: hat.name, type: 'denial', ...this.logFields(request, actor) });
    return this.cancelUrl(request);
  }

  /**
   * Where Deny and Cancel send the browser (SPEC 6.3, 6.5, 6.8): `fallback` when the service
   * gave one, else `redirect`, with `error=access_denied`. A stale `token` parameter is dropped:
   * it must not look like a successful login.
   */
  cancelUrl(request: ServiceRequest): string {
    return cancelUrlOf(request);
  }

  private async finish(hat: HatRecord, request: ServiceRequest, actor: Actor, detail: string): Promise<string> {
    const issued = request.application
      ? await this.tokens.application(hat, request.application, request.resource)
      : await this.tokens.signValidateToken(hat, request.name, request.resource);
    await this.activity.record({ hat: hat.name, type: 'approval', ...this.logFields(request, actor), detail });
    return withParams(request.redirect, { token: issued.token });
  }

  private logFields(request: ServiceRequest, actor: Actor) {
    return { via: 'hatlogin', service: request.name, redirectHost: request.host, clientIp: actor.clientIp };
  }

  /** The registered application a `name` refers to; ids are matched case-insensitively so none can be borrowed. */
  private async applicationNamed(name: string): Promise<ApplicationRecord | null> {
    const exact = await this.registry.current(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    return lower === name ? null : this.registry.current(lower);
  }
}
