import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { NotAuthenticated } from '../../errors.js';

/** How far a proof's `iat` may be from now (RFC 9449 leaves it to the server). */
const IAT_WINDOW_S = 60;
const ALGS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'];

/** Proof ids seen in the window: a replayed proof is refused (RFC 9449 §11.1). Bounded. */
const seen = new Map<string, number>();
const MAX_SEEN = 50_000;

function remember(jti: string, now: number): boolean {
  if (seen.has(jti)) return false;
  if (seen.size >= MAX_SEEN) {
    for (const [key, at] of seen) {
      if (at > now - IAT_WINDOW_S * 2 && seen.size < MAX_SEEN) break;
      seen.delete(key);
    }
  }
  seen.set(jti, now);
  return true;
}

export interface ProofRequest {
  proof: string;
  method: string;
  /** The request's URL as the client addressed it (scheme, host, path; no query). */
  url: string;
  accessToken: string;
  /** The thumbprint the access token is bound to (its `cnf.jkt`). */
  jkt: string;
}

/**
 * Checks a DPoP proof presented with a DPoP-bound access token at the data API (RFC 9449 §7):
 * signed by the key the token is bound to, for this method and URL, fresh, for this token, once.
 * The authorization server side (token endpoint) is oidc-provider's.
 */
export async function verifyDpopProof(req: ProofRequest): Promise<void> {
  const refuse = (why: string): never => {
    throw new NotAuthenticated(`The DPoP proof was refused: ${why}`);
  };
  let header;
  try {
    header = decodeProtectedHeader(req.proof);
  } catch {
    return refuse('it is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') refuse('its typ is not dpop+jwt');
  if (!header.alg || !ALGS.includes(header.alg)) refuse('its algorithm is not accepted');
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object' || 'd' in jwk) refuse('it carries no public key');
  if ((await calculateJwkThumbprint(jwk!)) !== req.jkt) refuse('it is signed by another key than the token is bound to');
  let payload;
  try {
    ({ payload } = await jwtVerify(req.proof, await importJWK(jwk!, header.alg), { typ: 'dpop+jwt', algorithms: ALGS }));
  } catch {
    return refuse('its signature does not verify');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > IAT_WINDOW_S) refuse('it is not fresh');
  if (payload.htm !== req.method) refuse('it was made for another method');
  if (typeof payload.htu !== 'string' || stripQuery(payload.htu) !== stripQuery(req.url)) refuse('it was made for another URL');
  const ath = createHash('sha256').update(req.accessToken).digest('base64url');
  if (payload.ath !== ath) refuse('it was made for another access token');
  if (typeof payload.jti !== 'string' || !remember(`${req.jkt} ${payload.jti}`, now)) refuse('it was used before');
}

function stripQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '';
  }
}
