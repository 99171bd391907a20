import { NotAuthenticated } from '../errors.js';
import type { HatRecord, Permission } from '../store/ports.js';
import type { Approvals } from './approvals.js';
import type { HatApplications } from './hat-applications.js';
import type { TokenClaims, Tokens } from './tokens.js';
import { Lru } from '../lru.js';

/** Who is calling, once their token has been checked against everything it depends on. */
export interface Principal {
  hat: string;
  claims: TokenClaims;
  scope: TokenClaims['accessScope'];
  /** For application tokens: exactly what the owner granted on this HAT. */
  permissions: Permission[];
}

interface CachedCheck {
  token: string;
  hat: string;
  principal: Principal;
  revision: number;
}

/**
 * Decides whether a token still stands (SPEC 4): signature and time through `Tokens`, then the
 * owner, the application's grant or the generic approval behind it.
 *
 * A token that passed is remembered until it expires or until its HAT's revision changes:
 * every password change, disabling, grant, approval or key rotation bumps that revision, so a
 * remembered answer is never staler than the HAT record it is compared with.
 */
export class Authenticator {
  private readonly checked: Lru<string, CachedCheck>;

  constructor(
    private readonly tokens: Tokens,
    /** The owners of what a token stands on: grants for application tokens, approvals for validate tokens. */
    private readonly standsOn: { applications: Pick<HatApplications, 'grantOf'>; approvals: Pick<Approvals, 'standing'> },
    // About 1.5 KB each (the token and its claims): 20,000 remembered checks stay near 30 MB.
    // A token pushed out is simply verified again.
    maxCached = 20_000,
  ) {
    this.checked = new Lru(maxCached);
  }

  async authenticate(hat: HatRecord, token: string): Promise<Principal> {
    const remembered = this.remembered(hat, token);
    if (remembered) return remembered;
    const claims = await this.tokens.verify(token, hat);
    const principal = await this.standing(hat, claims);
    this.checked.set(cacheKey(token), { token, hat: hat.name, principal, revision: hat.revision });
    return principal;
  }

  /**
   * The answer of an earlier `authenticate`, when it still stands: no signature to check and
   * nothing to wait for, so the hot path of a validation stays synchronous. Undefined otherwise.
   */
  remembered(hat: HatRecord, token: string): Principal | undefined {
    if (hat.disabled) throw new NotAuthenticated("This HAT's owner is disabled");
    const key = cacheKey(token);
    const cached = this.checked.get(key);
    if (!cached || cached.token !== token || cached.hat !== hat.name) return undefined;
    if (cached.revision === hat.revision && cached.principal.claims.exp > Date.now() / 1000) return cached.principal;
    this.checked.delete(key);
    return undefined;
  }

  /** The owner, proven by password rather than token (the legacy `username`/`pass` query form). */
  ownerByPassword(hat: HatRecord): Principal {
    const now = Math.floor(Date.now() / 1000);
    const claims: TokenClaims = { iss: this.tokens.issuer(hat.name), sub: hat.ownerId, iat: now, exp: now, jti: '', accessScope: 'owner' };
    return { hat: hat.name, claims, scope: 'owner', permissions: [] };
  }

  /** Drops every remembered answer (an application left the registry, for instance). */
  /** Checked tokens remembered (for the metrics). */
  get cached(): number {
    return this.checked.size;
  }

  forgetAll(): void {
    this.checked.clear();
  }

  private async standing(hat: HatRecord, claims: TokenClaims): Promise<Principal> {
    const principal = { hat: hat.name, claims, scope: claims.accessScope, permissions: [] as Permission[] };
    switch (claims.accessScope) {
      case 'owner':
        if (claims.iat < hat.tokensNotBefore) throw new NotAuthenticated('The token was revoked by a password change');
        return principal;
      case 'application': {
        if (!claims.application) throw new NotAuthenticated('The application token names no application');
        const grant = await this.standsOn.applications.grantOf(hat.name, claims.application);
        if (!grant || !grant.enabled) throw new NotAuthenticated('The application is not enabled on this HAT');
        if (claims.iat < grant.tokensNotBefore) throw new NotAuthenticated('The token was revoked');
        return { ...principal, permissions: grant.permissions };
      }
      case 'validate': {
        const origin = originOf(claims.resource);
        if (!claims.application || !origin) throw new NotAuthenticated('The token names no service');
        const approval = await this.standsOn.approvals.standing(hat.name, claims.application, origin);
        if (!approval) throw new NotAuthenticated("The service's approval was revoked");
        if (claims.iat < approval.tokensNotBefore) throw new NotAuthenticated('The token was revoked');
        return principal;
      }
    }
  }
}

/**
 * Remembered checks are found by the end of the token's signature and then compared whole:
 * hashing the whole token (about 800 characters, a new string on every request) cost more than
 * the rest of the look-up. A signature binds the token to one issuer, so the HAT is only compared.
 */
function cacheKey(token: string): string {
  return token.length > 32 ? token.slice(-32) : token;
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
