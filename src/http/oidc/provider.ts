import { hkdfSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { JWK } from 'jose';
import { Provider, interactionPolicy } from 'oidc-provider';
import { baseUrl, hatAddress, type Config } from '../../config.js';
import type { Emails } from '../../services/emails.js';
import type { HatDirectory } from '../../services/hats.js';
import type { OAuth } from '../../services/oidc/index.js';
import { adapterFor } from '../../services/oidc/adapter.js';
import { BASE_SCOPES, IDENTITY_SCOPES, secretMatches } from '../../services/oidc/clients.js';
import type { HatRecord } from '../../store/ports.js';
import { cimdFetch } from './cimd-fetch.js';

/** Where the provider's endpoints live on a HAT host; discovery stays at the two well-known paths. */
export const OAUTH_PREFIX = '/oauth/';
export const INTERACTION_PREFIX = '/oauth/interaction/';
const ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  jwks: '/oauth/jwks',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  pushed_authorization_request: '/oauth/par',
  end_session: '/oauth/logout',
  registration: '/oauth/register',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
  credential: '/oauth/credential',
};

/**
 * The provider's paths that websites' servers call (token, userinfo, jwks, revocation,
 * introspection, PAR): never with the owner's browser session, so they skip it. Only the
 * authorization endpoint (and its resume path) and our interaction pages are the browser's.
 */
export function isBackChannel(path: string): boolean {
  return path.startsWith(OAUTH_PREFIX) && !path.startsWith(INTERACTION_PREFIX) && !path.startsWith(ROUTES.authorization);
}

/** What the request carries about the owner's browser session, set by our middleware before the provider runs. */
export interface OwnerLogin {
  /** Milliseconds since the epoch, when this browser logged in to the HAT; undefined when not logged in. */
  loggedInAt?: number;
}
const OWNER_LOGIN = Symbol.for('hat-login.owner-login');
export function setOwnerLogin(req: IncomingMessage, login: OwnerLogin): void {
  (req as unknown as Record<symbol, OwnerLogin>)[OWNER_LOGIN] = login;
}
function ownerLogin(req: IncomingMessage): OwnerLogin {
  return (req as unknown as Record<symbol, OwnerLogin | undefined>)[OWNER_LOGIN] ?? {};
}

export interface ProviderDeps {
  config: Config;
  hats: HatDirectory;
  oauth: OAuth;
  /** Whether the owner's address was confirmed through its link (`email_verified`, SPEC 13). */
  emails: Pick<Emails, 'isVerified'>;
  /** Renders the HAT's error page for errors that must never be redirected (bad client, bad redirect_uri). */
  renderError(ctx: { type: string; body: unknown; status: number }, out: { error: string; error_description?: string }, err: unknown, hat: HatRecord): Promise<void>;
}

/**
 * The login prompt also asks for a login when the owner's browser session on this HAT has
 * ended (logged out, password changed, HAT disabled) even though the provider's own session
 * remembers them: the HAT's session is the one that counts, and `prompt=none` then answers
 * `login_required`.
 */
function policy() {
  const base = interactionPolicy.base();
  const login = base.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('hat_session', 'The owner is not logged in on this HAT', 'login_required', (ctx: { req: IncomingMessage; oidc: { session: { accountId?: string } } }) =>
      ctx.oidc.session.accountId && ownerLogin(ctx.req).loggedInAt === undefined ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
    0,
  );
  return base;
}

/** Provider cookies are signed with a key of their own per HAT, derived from SESSION_SECRET. */
function cookieKey(config: Config, hat: string): string {
  return Buffer.from(hkdfSync('sha256', config.sessionSecret, hat, 'oidc-provider cookies', 32)).toString('base64url');
}

/**
 * One oidc-provider Provider for one HAT (the maintainer's advice for per-tenant issuers and
 * keys): issuer = the HAT's base URL, keys = the HAT's keys, storage = our store, interactions =
 * our pages. `dataScopes` are the `data:` scopes any registered application may ask for. Each
 * part of the configuration is a function of its own below.
 */
export function buildProvider(hat: HatRecord, keys: JWK[], dataScopes: readonly string[], deps: ProviderDeps): Provider {
  const { config } = deps;
  const provider = new Provider(baseUrl(config, hatAddress(config, hat.name)), {
    adapter: storage(deps.oauth, hat.name),
    ...accounts(deps, hat.name),
    ...clients(config, dataScopes),
    jwks: { keys },
    cookies: cookies(config, hat.name),
    routes: ROUTES,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${INTERACTION_PREFIX}${interaction.uid}`, policy: policy() },
    features: features(config, hat.name),
    rotateRefreshToken: true,
    loadExistingGrant: existingGrant(deps.oauth, hat.name),
    ttl: TTL,
    async renderError(ctx: { type: string; body: unknown; status: number }, out: { error: string; error_description?: string }, err: unknown) {
      await deps.renderError(ctx, out, err, hat);
    },
  });
  provider.proxy = config.trustProxy;
  compareHashedSecrets(provider);
  return provider;
}

/** Lifetimes in seconds (README's table). */
const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  IdToken: 3600,
  Interaction: 3600,
  Grant: 365 * 24 * 3600,
  RefreshToken: 30 * 24 * 3600,
  Session: 14 * 24 * 3600,
};

/**
 * The provider's records go to our store. Registered applications are its clients (looked up in
 * the registry; a confidential one authenticates by the Basic header or the body, whichever this
 * request uses); removing any record tells the data API to forget the tokens it remembers.
 */
function storage(oauth: OAuth, hat: string) {
  const clientLookup = async (id: string) => {
    const ctx = Provider.ctx as { get?(h: string): string } | undefined;
    const basic = /^basic /i.test(ctx?.get?.('authorization') ?? '');
    return oauth.clients.metadata(id, basic ? 'client_secret_basic' : 'client_secret_post');
  };
  return adapterFor(oauth.oidcStore, hat, clientLookup, () => oauth.forget(hat));
}

/** The HAT's owner as the only account, with SPEC 12's claims per scope. */
function accounts(deps: ProviderDeps, hat: string) {
  const { config, hats, emails } = deps;
  return {
    claims: { openid: ['sub', 'hat'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    // Claims go into ID tokens by scope too, not only into userinfo.
    conformIdTokenClaims: false,
    async findAccount(_ctx: unknown, sub: string, token?: { iat?: number; kind?: string }) {
      const current = await hats.find(hat);
      if (!current || current.disabled || current.ownerId !== sub) return undefined;
      // A refresh token from before a password change is refused like every other token.
      if (token?.iat !== undefined && token.iat < current.tokensNotBefore) return undefined;
      return {
        accountId: sub,
        // `scope` is what was granted: the confirmation is read only when the email claims go out.
        async claims(_use: string, scope: string) {
          const withEmail = scope.split(' ').includes('email');
          return {
            sub,
            hat: hatAddress(config, current.name),
            ...(current.fullName ? { name: current.fullName } : {}),
            preferred_username: current.name,
            ...(withEmail ? { email: current.email, email_verified: await emails.isVerified(current) } : {}),
          };
        },
      };
    },
  };
}

/**
 * What clients may do (SPEC 12): the code flow only, PKCE for everyone, RS256 ID tokens, the
 * scopes any client may ask for; a website known by its metadata document (fetched through
 * cimd-fetch.ts, at most 5 KB) gets identity scopes only.
 */
function clients(config: Config, dataScopes: readonly string[]) {
  return {
    clients: [],
    scopes: [...BASE_SCOPES, ...dataScopes],
    pkce: { required: () => true },
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'RS256' },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'], userinfoSigningAlgValues: ['RS256'] },
    fetch: cimdFetch(config.production),
    fetchResponseBodyLimits: { 'client_id metadata document': 5 * 1024 },
    extraClientMetadata: {
      properties: ['hat_cimd'],
      // A website identified by its metadata document may only learn who owns the HAT (SPEC 12).
      validator(_ctx: unknown, key: string, _value: unknown, metadata: Record<string, unknown>) {
        if (key !== 'hat_cimd' || typeof metadata.client_id !== 'string' || !/^https:\/\//.test(metadata.client_id)) return;
        const asked = typeof metadata.scope === 'string' ? metadata.scope.split(' ') : [...IDENTITY_SCOPES];
        const allowed = asked.filter((s) => (IDENTITY_SCOPES as readonly string[]).includes(s));
        metadata.scope = (allowed.length ? allowed : ['openid']).join(' ');
      },
    },
  };
}

/** Provider cookies: signed with a key of their own per HAT, Secure behind https, our names. */
function cookies(config: Config, hat: string) {
  const cookie = { httpOnly: true, sameSite: 'lax', secure: config.publicScheme === 'https' };
  return {
    keys: [cookieKey(config, hat)],
    long: cookie,
    short: cookie,
    names: { session: 'hat_oauth_session', interaction: 'hat_oauth_interaction', resume: 'hat_oauth_resume' },
  };
}

/** SPEC 12's protocol features; everything else the library offers stays off. */
function features(config: Config, hat: string) {
  return {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: false },
    introspection: {
      enabled: true,
      // Registered, confidential clients only, and only for their own tokens.
      async allowedPolicy(_ctx: unknown, client: { clientAuthMethod: string; clientId: string }, token: { clientId?: string }) {
        return client.clientAuthMethod !== 'none' && token.clientId === client.clientId;
      },
    },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    dPoP: { enabled: true, nonceSecret: Buffer.from(hkdfSync('sha256', config.sessionSecret, hat, 'oidc-provider dpop nonce', 32)) },
    clientIdMetadataDocument: {
      enabled: true,
      ack: 'draft-02',
      // Within the document's Cache-Control (cimd-fetch.ts puts no-store in the library's words), at most the configured cap.
      cacheDuration: { min: 0, max: config.cimdCacheMaxSeconds },
    },
  };
}

interface GrantLookupContext {
  oidc: {
    result?: { consent?: { grantId?: string } };
    session: { accountId?: string; grantIdFor(id: string): string | undefined };
    client: { clientId: string };
    provider: Provider;
  };
}

/**
 * The grant an authorization request continues: the one just consented, the one this provider
 * session knows, or else the owner's stored grant for this client (approved before, in another
 * browser), so that an approved client skips the consent page.
 */
function existingGrant(oauth: OAuth, hat: string) {
  return async function loadExistingGrant({ oidc }: GrantLookupContext) {
    const grantId =
      oidc.result?.consent?.grantId ??
      oidc.session.grantIdFor(oidc.client.clientId) ??
      (oidc.session.accountId ? await oauth.oidcStore.grantFor(hat, oidc.client.clientId, oidc.session.accountId) : null);
    return grantId ? oidc.provider.Grant.find(grantId) : undefined;
  };
}

/** Client secrets are kept hashed (SPEC 12): compare the hash of what was presented. */
function compareHashedSecrets(provider: Provider): void {
  (provider.Client.prototype as { compareClientSecret(actual: string): boolean }).compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
    return secretMatches(this.clientSecret, actual);
  };
}
