import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFound, Titles } from '../../errors.js';
import type { ApplicationRecord, OidcStore, Permission } from '../../store/ports.js';
import type { ApplicationRegistry } from '../registry.js';

/** What every client may ask for; a CIMD client (an unregistered website) gets only this. */
export const IDENTITY_SCOPES = ['openid', 'profile', 'email'] as const;
export const BASE_SCOPES = [...IDENTITY_SCOPES, 'offline_access'] as const;

/** Client secrets are cluster-wide records of the oidc store (hat ''), one per application. */
const SECRET_MODEL = 'ClientSecret';
const SECRET_PREFIX = 'sha256$';

/** `data:<namespace>:read|write` for each registered permission; write also allows asking for read. */
export function dataScopes(permissions: readonly Permission[]): string[] {
  const scopes = new Set<string>();
  for (const p of permissions) {
    scopes.add(`data:${p.namespace}:read`);
    if (p.access === 'write') scopes.add(`data:${p.namespace}:write`);
  }
  return [...scopes];
}

/** The permissions a set of granted scopes gives (the inverse of dataScopes). */
export function permissionsOf(scope: string): Permission[] {
  const out: Permission[] = [];
  for (const s of scope.split(' ')) {
    const m = /^data:([0-9a-z-]+):(read|write)$/.exec(s);
    if (m) out.push({ namespace: m[1]!, access: m[2] as Permission['access'] });
  }
  return out;
}

/**
 * A client secret is 32 random bytes: a plain SHA-256 of it is as strong as a slow hash of a
 * password would be, and costs nothing at the token endpoint.
 */
function hashSecret(secret: string): string {
  return SECRET_PREFIX + createHash('sha256').update(secret).digest('base64url');
}

export function secretMatches(storedHash: string | undefined, presented: string): boolean {
  if (!storedHash?.startsWith(SECRET_PREFIX)) return false;
  const a = Buffer.from(storedHash);
  const b = Buffer.from(hashSecret(presented));
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Registered applications as OAuth clients (SPEC 12): client_id = application id, its registered
 * redirect URIs; public (PKCE, no secret) until the operator issues a secret, confidential after.
 */
export class OAuthClients {
  constructor(
    private readonly store: OidcStore,
    private readonly registry: ApplicationRegistry,
  ) {}

  /** Issues (or replaces) the application's client secret; the plain secret is returned once, only its hash is kept. */
  async issueSecret(applicationId: string): Promise<{ clientId: string; clientSecret: string }> {
    const app = await this.registry.find(applicationId);
    if (!app) throw new NotFound(`No application "${applicationId}" is registered on this cluster`, { title: Titles.applicationNotFound });
    const clientSecret = randomBytes(32).toString('base64url');
    await this.store.upsert('', SECRET_MODEL, app.id, { payload: { hash: hashSecret(clientSecret) }, expiresAt: null });
    return { clientId: app.id, clientSecret };
  }

  async secretHash(applicationId: string): Promise<string | undefined> {
    const found = await this.store.find('', SECRET_MODEL, applicationId);
    return typeof found?.hash === 'string' ? found.hash : undefined;
  }

  /**
   * oidc-provider's metadata for a registered application, or undefined. `authMethod` is how this
   * request authenticates (a confidential client may use either the Basic header or the body).
   */
  async metadata(id: string, authMethod: 'client_secret_basic' | 'client_secret_post'): Promise<Record<string, unknown> | undefined> {
    const app = await this.registry.find(id);
    if (!app) return undefined;
    const hash = await this.secretHash(id);
    return clientMetadata(app, hash, authMethod);
  }
}

export function clientMetadata(app: ApplicationRecord, secretHash: string | undefined, authMethod: string): Record<string, unknown> {
  return {
    client_id: app.id,
    client_name: app.name,
    ...(app.homepage ? { client_uri: app.homepage } : {}),
    redirect_uris: app.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: [...BASE_SCOPES, ...dataScopes(app.permissions)].join(' '),
    ...(secretHash ? { token_endpoint_auth_method: authMethod, client_secret: secretHash } : { token_endpoint_auth_method: 'none' }),
  };
}
