import { NotAuthenticated } from '../../errors.js';
import type { HatRecord, OidcStore, Store } from '../../store/ports.js';
import type { ActivityLog } from '../activity.js';
import type { ApplicationRegistry } from '../registry.js';
import type { Principal } from '../authentication.js';
import type { TokenClaims } from '../tokens.js';
import { OAuthClients, permissionsOf } from './clients.js';
import { verifyDpopProof } from './dpop.js';
import { Lru } from '../../lru.js';

export { OAuthClients } from './clients.js';

/** How an access token reached the data API. */
export interface Presented {
  token: string;
  /** `Bearer`, `DPoP` (Authorization header) or `X-Auth-Token`. */
  scheme: 'Bearer' | 'DPoP' | 'X-Auth-Token';
  proof?: string;
  method: string;
  url: string;
  clientIp: string;
}

/** A client the owner granted access to, as the dashboard lists it. */
export interface OAuthGrantView {
  clientId: string;
  name: string;
  host: string;
  /** An unregistered website (Client ID Metadata Document): its name is self-given. */
  selfDescribed: boolean;
  scopes: string[];
  grantedAt: Date | null;
  lastUsedAt: Date | null;
}

/** What the consent page learned about a client, kept for the dashboard (model `ClientInfo`). */
export interface ClientInfo {
  name: string;
  host: string;
  selfDescribed: boolean;
}

const CLIENT_INFO = 'ClientInfo';
/** About 1 KB each. */
const MAX_CHECKED = 20_000;

interface CheckedToken {
  principal: Principal;
  jkt?: string;
  grantId: string;
  hat: string;
  revision: number;
  generation: number;
  /** Milliseconds since the epoch. */
  until: number;
}
const TOUCH_INTERVAL_MS = 60_000;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** True for the provider's opaque tokens (base64url, no dots), false for our JWTs. */
export function looksOpaque(token: string): boolean {
  return token.length >= 32 && token.length <= 128 && /^[A-Za-z0-9_-]+$/.test(token);
}

/**
 * OAuth 2 / OpenID Connect as the rest of the server sees it (SPEC 12): the provider's access
 * tokens accepted by the data API, and the grants in the owner's ledger. The protocol itself is
 * oidc-provider's (src/http/oidc/); this reads what it stored.
 */
export class OAuth {
  readonly clients: OAuthClients;
  private readonly store: OidcStore;
  private readonly touched = new Lru<string, number>(50_000);
  private readonly refusalsLogged = new Lru<string, number>(10_000);

  private readonly checked = new Lru<string, CheckedToken>(MAX_CHECKED);
  /**
   * A HAT's generation is a value of one counter that only grows, so a HAT pushed out of this
   * bounded map (read as 0) never matches a token checked after one of its `forget`s.
   */
  private readonly generations = new Lru<string, number>(100_000);
  private lastGeneration = 0;

  constructor(
    root: Store,
    private readonly registry: ApplicationRegistry,
    private readonly activity: ActivityLog,
    private readonly freshnessMs = 1000,
  ) {
    this.store = root.oidc;
    this.grantRecords = root.grants;
    this.clients = new OAuthClients(root.oidc, registry);
  }

  private readonly grantRecords: Store['grants'];

  get oidcStore(): OidcStore {
    return this.store;
  }

  /**
   * The principal behind an access token of this HAT's provider, or 401 (SPEC 4's refusal rules):
   * unknown, expired or revoked token, ended grant, application disabled on this HAT or removed
   * from the registry, owner disabled, a password change since, a DPoP-bound token without its
   * proof (or sent as X-Auth-Token). A registered application gets exactly its consented
   * `data:` scopes, narrowed later by its registration; anyone else gets no data access.
   */
  async authenticate(hat: HatRecord, presented: Presented): Promise<Principal> {
    try {
      return await this.check(hat, presented);
    } catch (err) {
      if (err instanceof NotAuthenticated) this.logRefusal(hat.name, err.detail ?? err.message, presented.clientIp);
      throw err;
    }
  }

  /**
   * A token that passed is remembered for at most `freshnessMs` (REVISION_CHECK_MS), and only
   * while its HAT's revision stays the same (password change, disabling, grants) and nothing of
   * that HAT's OAuth records was removed in this process (revocation, reuse, dashboard).
   */
  private async check(hat: HatRecord, presented: Presented): Promise<Principal> {
    if (hat.disabled) throw new NotAuthenticated("This HAT's owner is disabled");
    const now = Date.now();
    let state = this.checked.get(presented.token);
    if (!state || state.hat !== hat.name || state.revision !== hat.revision || state.generation !== this.generationOf(hat.name) || state.until <= now) {
      if (state) this.checked.delete(presented.token);
      const generation = this.generationOf(hat.name);
      const looked = await this.lookUp(hat, presented.token);
      state = { ...looked, hat: hat.name, revision: hat.revision, generation, until: Math.min(looked.principal.claims.exp * 1000, now + this.freshnessMs) };
      this.checked.set(presented.token, state);
    }
    if (state.jkt) {
      if (presented.scheme !== 'DPoP' || !presented.proof) throw new NotAuthenticated('The access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
      await verifyDpopProof({ proof: presented.proof, method: presented.method, url: presented.url, accessToken: presented.token, jkt: state.jkt });
    } else if (presented.scheme === 'DPoP') {
      throw new NotAuthenticated('The access token is not DPoP-bound: send it as a Bearer token');
    }
    this.touch(hat.name, state.grantId);
    return state.principal;
  }

  /** Forgets what this process remembers of the HAT's OAuth tokens (something of them was removed). */
  forget(hat: string): void {
    this.generations.set(hat, ++this.lastGeneration);
  }

  private generationOf(hat: string): number {
    return this.generations.peek(hat) ?? 0;
  }

  private async lookUp(hat: HatRecord, value: string): Promise<{ principal: Principal; jkt?: string; grantId: string }> {
    const token = await this.store.find(hat.name, 'AccessToken', value);
    const now = Math.floor(Date.now() / 1000);
    if (!token || typeof token.exp !== 'number' || token.exp <= now) throw new NotAuthenticated('The access token is unknown, expired or revoked');
    const iat = Number(token.iat);
    const clientId = String(token.clientId ?? '');
    const grantId = String(token.grantId ?? '');
    if (token.accountId !== hat.ownerId) throw new NotAuthenticated('The access token is not for this HAT');
    if (iat < hat.tokensNotBefore) throw new NotAuthenticated('The token was revoked by a password change');
    const jkt = (token.jkt ?? (token.cnf as { jkt?: string } | undefined)?.jkt) as string | undefined;
    const [grant, session] = await Promise.all([
      this.store.find(hat.name, 'Grant', grantId),
      token.expiresWithSession && typeof token.sessionUid === 'string' ? this.store.findByUid(hat.name, 'Session', token.sessionUid) : true,
    ]);
    if (!grant || !session) throw new NotAuthenticated('The grant behind the access token was revoked');
    const scope = String(token.scope ?? '');
    let principal: Principal;
    const app = await this.registry.find(clientId);
    if (app) {
      const record = await this.grantRecords.get(hat.name, clientId);
      if (record && !record.enabled && record.updatedAt.getTime() >= iat * 1000) {
        throw new NotAuthenticated('The application is not enabled on this HAT');
      }
      principal = this.principal(hat, token, 'application', clientId);
      principal.permissions = permissionsOf(scope);
    } else {
      if (!/^https:\/\//.test(clientId)) throw new NotAuthenticated('The client of this access token is no longer registered');
      principal = this.principal(hat, token, 'validate', clientId);
    }
    return { principal, grantId, ...(jkt ? { jkt } : {}) };
  }

  private principal(hat: HatRecord, token: Record<string, unknown>, scope: 'application' | 'validate', clientId: string): Principal {
    const claims: TokenClaims = {
      iss: String(token.iss ?? ''),
      sub: hat.ownerId,
      iat: Number(token.iat),
      exp: Number(token.exp),
      jti: String(token.jti ?? ''),
      accessScope: scope,
      application: clientId,
    };
    return { hat: hat.name, claims, scope, permissions: [] };
  }

  /** Notes a grant's use at most once a minute (best effort: "last used" on the dashboard). */
  private touch(hat: string, grantId: string): void {
    const key = `${hat} ${grantId}`;
    const now = Date.now();
    if (now - (this.touched.get(key) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touched.set(key, now);
    this.store.touchGrant(hat, grantId, new Date(now)).catch(() => this.touched.delete(key));
  }

  /** Refused tokens go to the activity log, once a minute per HAT and cause, so a flood cannot fill it. */
  private logRefusal(hat: string, detail: string, clientIp: string): void {
    const key = `${hat} ${detail}`;
    const now = Date.now();
    if (now - (this.refusalsLogged.get(key) ?? 0) < REFUSAL_LOG_INTERVAL_MS) return;
    this.refusalsLogged.set(key, now);
    this.activity.record({ hat, type: 'token_refused', via: 'oauth', clientIp, detail }).catch(() => undefined);
  }

  async rememberClient(hat: string, clientId: string, info: ClientInfo): Promise<void> {
    await this.store.upsert(hat, CLIENT_INFO, clientId, { payload: { ...info }, expiresAt: null });
  }

  /** The clients holding a grant on this HAT, one line per client. */
  async grants(hat: string): Promise<OAuthGrantView[]> {
    const rows = await this.store.grants(hat);
    const byClient = new Map<string, OAuthGrantView>();
    for (const row of rows) {
      const clientId = String(row.payload.clientId ?? '');
      const scopes = String((row.payload.openid as { scope?: string } | undefined)?.scope ?? '').split(' ').filter(Boolean);
      const iat = typeof row.payload.iat === 'number' ? new Date(row.payload.iat * 1000) : null;
      const seen = byClient.get(clientId);
      if (seen) {
        seen.scopes = [...new Set([...seen.scopes, ...scopes])];
        if (row.lastUsedAt && (!seen.lastUsedAt || row.lastUsedAt > seen.lastUsedAt)) seen.lastUsedAt = row.lastUsedAt;
        continue;
      }
      const info = (await this.store.find(hat, CLIENT_INFO, clientId)) as Partial<ClientInfo> | null;
      byClient.set(clientId, {
        clientId,
        name: info?.name ?? clientId,
        host: info?.host ?? hostOf(clientId),
        selfDescribed: info?.selfDescribed ?? /^https:/.test(clientId),
        scopes,
        grantedAt: iat,
        lastUsedAt: row.lastUsedAt,
      });
    }
    return [...byClient.values()];
  }

  /** The client's grants on this HAT as the dashboard shows them; null when it has none. */
  async grant(hat: string, clientId: string): Promise<OAuthGrantView | null> {
    return (await this.grants(hat)).find((g) => g.clientId === clientId) ?? null;
  }

  /** Ends every grant of the client on this HAT, with its refresh and access tokens, at once. */
  async revoke(hat: string, clientId: string, clientIp: string): Promise<boolean> {
    const rows = (await this.store.grants(hat)).filter((r) => r.payload.clientId === clientId);
    for (const row of rows) {
      await this.store.revokeByGrantId(hat, row.id);
      await this.store.destroy(hat, 'Grant', row.id);
    }
    this.forget(hat);
    if (rows.length) {
      await this.activity.record({ hat, type: 'revocation', via: 'oauth', service: clientId, clientIp, detail: 'OAuth grant' });
    }
    return rows.length > 0;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
