import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { hatAddress, type Config } from '../config.js';
import { NotAuthenticated } from '../errors.js';
import type { HatRecord } from '../store/ports.js';
import type { KeyRing } from './keys.js';
import type { Metrics } from '../metrics.js';

export type AccessScope = 'owner' | 'application' | 'validate';

export interface TokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  accessScope: AccessScope;
  /** validate: the service's name; application: the application id. */
  application?: string;
  applicationVersion?: string;
  resource?: string;
}

export interface IssuedToken {
  token: string;
  claims: TokenClaims;
}

/** Allowed difference between our clock and a token's `iat`. */
const CLOCK_SKEW_SECONDS = 30;

/** Signs and verifies a HAT's JWTs (SPEC 4): RS256 with the HAT's own key, `kid` in the header. */
export class Tokens {
  constructor(
    private readonly config: Config,
    private readonly keyring: KeyRing,
    private readonly metrics?: Metrics,
  ) {}

  issuer(hat: string): string {
    return hatAddress(this.config, hat);
  }

  owner(hat: HatRecord, issuedAt?: number): Promise<IssuedToken> {
    return this.sign(hat, { accessScope: 'owner' }, this.config.tokenTtl.owner, issuedAt);
  }

  application(hat: HatRecord, app: { id: string; version: string }, resource: string): Promise<IssuedToken> {
    return this.sign(
      hat,
      { accessScope: 'application', application: app.id, applicationVersion: app.version, resource },
      this.config.tokenTtl.application,
    );
  }

  /** Signs a validate-scope token (SPEC 4): it proves who owns the HAT and opens no data. */
  signValidateToken(hat: HatRecord, serviceName: string, resource: string): Promise<IssuedToken> {
    return this.sign(hat, { accessScope: 'validate', application: serviceName, resource }, this.config.tokenTtl.validate);
  }

  private async sign(
    hat: HatRecord,
    extra: Pick<TokenClaims, 'accessScope' | 'application' | 'applicationVersion' | 'resource'>,
    ttl: number,
    issuedAt = Math.floor(Date.now() / 1000),
  ): Promise<IssuedToken> {
    const { kid, key } = await this.keyring.signingKey(hat.name, hat.revision);
    const claims: TokenClaims = {
      iss: this.issuer(hat.name),
      sub: hat.ownerId,
      iat: issuedAt,
      exp: issuedAt + ttl,
      jti: randomUUID(),
      ...extra,
    };
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(key);
    this.metrics?.tokenIssued(claims.accessScope);
    return { token, claims };
  }

  /**
   * Checks signature, algorithm, issuer and time of a token presented to `hat`. Whether the
   * owner, application or approval behind it still stands is the Authenticator's business.
   */
  async verify(token: string, hat: HatRecord): Promise<TokenClaims> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new NotAuthenticated('The token is malformed');
    }
    if (header.alg !== 'RS256') throw new NotAuthenticated(`The token's algorithm ${String(header.alg)} is not accepted; only RS256 is`);
    const keys = await this.keyring.publishedKeys(hat.name, hat.revision);
    const key = header.kid === undefined ? keys[0] : keys.find((k) => k.kid === header.kid);
    if (!key) throw new NotAuthenticated("The token was signed with a key (kid) that is not one of this HAT's keys");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.publicKey, {
        algorithms: ['RS256'],
        issuer: this.issuer(hat.name),
        requiredClaims: ['iat', 'exp', 'sub', 'jti'],
        // We issued it: an expired token is expired, with no leeway (the cached path agrees).
        clockTolerance: 0,
      }));
    } catch (err) {
      // A bad signature on a token that names another issuer is, most likely, another HAT's
      // token presented here: say so, rather than suggest that it was altered. (The claim is
      // unverified, so it only shapes the message, never the decision.)
      if (err instanceof errors.JWSSignatureVerificationFailed && unverifiedIssuer(token) !== this.issuer(hat.name)) {
        throw new NotAuthenticated("The token names another issuer and is not signed with this HAT's key");
      }
      throw new NotAuthenticated(verificationCause(err));
    }
    const claims = payload as TokenClaims;
    if (claims.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) throw new NotAuthenticated('The token is not yet valid');
    if (!['owner', 'application', 'validate'].includes(claims.accessScope)) {
      throw new NotAuthenticated('The token has no known access scope');
    }
    if (claims.sub !== hat.ownerId) throw new NotAuthenticated("The token's subject is not this HAT's owner");
    return claims;
  }
}

function unverifiedIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

function verificationCause(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is not valid: it was altered or signed with another key";
  if (err instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted; only RS256 is";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'The token was issued by another HAT';
    if (err.claim === 'nbf') return 'The token is not yet valid';
    return `The token's ${err.claim} claim is not valid`;
  }
  return 'The token is malformed';
}
