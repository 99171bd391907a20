import http from 'node:http';
import { errors, importSPKI, jwtVerify, type JWTPayload } from 'jose';

/** What the demo learned from a token it accepted. */
export interface VerifiedLogin {
  hat: string;
  claims: JWTPayload & { accessScope?: string; application?: string; resource?: string };
}

/** Why a token was not accepted, in words a person can read. */
export class LoginRefused extends Error {}

const MAX_KEY_BYTES = 16 * 1024;

/** `alice.hat.localhost:3000` → true: names Chromium resolves to loopback without DNS. */
function isLocal(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1';
}

export function schemeFor(address: string): 'http' | 'https' {
  return isLocal(address.replace(/:\d+$/, '')) ? 'http' : 'https';
}

/**
 * GET /publickey of the HAT at `address`. Node cannot resolve *.localhost names through DNS as
 * browsers do, so for those it connects to 127.0.0.1 and names the HAT in the Host header.
 */
export async function fetchPublicKey(address: string): Promise<string> {
  const hostname = address.replace(/:\d+$/, '');
  if (!isLocal(hostname)) {
    const reply = await fetch(`https://${address}/publickey`, { signal: AbortSignal.timeout(5000), redirect: 'error' });
    if (!reply.ok) throw new LoginRefused(`${address}/publickey answered ${reply.status}`);
    const text = await reply.text();
    if (text.length > MAX_KEY_BYTES) throw new LoginRefused(`${address}/publickey is too large to be a public key`);
    return text;
  }
  const port = Number(/:(\d+)$/.exec(address)?.[1] ?? 80);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/publickey', headers: { host: address }, setHost: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > MAX_KEY_BYTES) req.destroy(new LoginRefused(`${address}/publickey is too large to be a public key`));
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new LoginRefused(`${address}/publickey answered ${res.statusCode}`));
          else resolve(body);
        });
      },
    );
    req.on('timeout', () => req.destroy(new LoginRefused(`${address} did not answer in time`)));
    req.on('error', (err) => reject(err instanceof LoginRefused ? err : new LoginRefused(`Could not reach ${address}: ${err.message}`)));
    req.end();
  });
}

/**
 * What a relying party must check (SPEC 4): the RS256 signature against the public key of the
 * HAT the person claimed, `iss` is that HAT, `resource` is our own callback URL, `exp` is in
 * the future.
 */
export async function verifyLogin(token: string, claimedHat: string, callbackUrl: string): Promise<VerifiedLogin> {
  const key = await importSPKI(await fetchPublicKey(claimedHat), 'RS256').catch(() => {
    throw new LoginRefused(`${claimedHat}/publickey did not return an RSA public key`);
  });
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['RS256'], issuer: claimedHat, requiredClaims: ['exp', 'iat', 'sub'] }));
  } catch (err) {
    throw new LoginRefused(reason(err, claimedHat));
  }
  if (payload.resource !== callbackUrl) {
    throw new LoginRefused(`The token was issued for ${String(payload.resource)}, not for this website (${callbackUrl})`);
  }
  return { hat: claimedHat, claims: payload as VerifiedLogin['claims'] };
}

function reason(err: unknown, claimedHat: string): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return `The token's signature does not match ${claimedHat}'s public key`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token is not signed with RS256';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return `The token was issued by another HAT, not by ${claimedHat}`;
    return `The token's ${err.claim} claim is not valid`;
  }
  return 'The token is malformed';
}
