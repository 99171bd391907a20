import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importSPKI,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * SPEC 4 and the seeds ("You validate the token against the HAT's public key"): a relying party
 * checks a HAT's token on its own, with jose and the HAT's published key, and so refuses every
 * forgery the HAT itself refuses.
 */
describe('a relying party checking a token (SPEC 4)', () => {
  let server: TestServer;
  let aliceToken: string;
  let bobToken: string;
  let alice: string;

  before(async () => {
    server = await startTestServer();
    aliceToken = (await server.createHat('alice')).token;
    bobToken = (await server.createHat('bob')).token;
    alice = server.hatHost('alice');
  });
  after(() => server.stop());

  /** What the relying party fetches: `<iss>/publickey`, PEM. */
  const publicKeyOf = async (hat: string) => {
    const reply = await server.call(hat, '/publickey');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain/);
    assert.match(reply.text, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
    return importSPKI(reply.text, 'RS256');
  };
  const jwksOf = async (hat: string) => {
    const reply = await server.call(hat, '/.well-known/jwks.json');
    assert.equal(reply.status, 200);
    return createLocalJWKSet(reply.json<JSONWebKeySet>());
  };

  /** The relying party's whole check: RS256 only, issued by the HAT the user claimed. */
  const checkWithPublicKey = async (token: string, claimedHat = 'alice') =>
    jwtVerify(token, await publicKeyOf(claimedHat), { algorithms: ['RS256'], issuer: server.hatHost(claimedHat) });
  const checkWithJwks = async (token: string, claimedHat = 'alice') =>
    jwtVerify(token, await jwksOf(claimedHat), { algorithms: ['RS256'], issuer: server.hatHost(claimedHat) });

  const signWithKeyOf = async (signer: string, claims: JWTPayload, kid?: string) => {
    const hat = await server.services.hats.find(signer);
    assert.ok(hat);
    const key = await server.services.keys.signingKey(hat.name, hat.revision);
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: kid ?? key.kid }).sign(key.key);
  };
  const now = () => Math.floor(Date.now() / 1000);

  describe('accepts a genuine token', () => {
    it("verified against the PEM from /publickey, with issuer = the HAT's address", async () => {
      const { payload, protectedHeader } = await checkWithPublicKey(aliceToken);
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload.iss, alice);
      assert.equal(payload.accessScope, 'owner');
      assert.ok(payload.exp! > now());
    });

    it('verified against the JWKS of /.well-known/jwks.json, the key found by its kid', async () => {
      const { payload, protectedHeader } = await checkWithJwks(aliceToken);
      assert.equal(payload.iss, alice);
      assert.equal(typeof protectedHeader.kid, 'string');
    });

    it('and checks that its resource is its own URL (a generic service token)', async () => {
      const hat = await server.services.hats.find('alice');
      assert.ok(hat);
      const mine = 'https://service.example/callback';
      const { token } = await server.services.tokens.signValidateToken(hat, 'Service', mine);
      const { payload } = await checkWithPublicKey(token);
      assert.equal(payload.accessScope, 'validate');
      assert.equal(payload.resource, mine);
      const { token: forOther } = await server.services.tokens.signValidateToken(hat, 'Service', 'https://elsewhere.example/cb');
      assert.notEqual((await checkWithPublicKey(forOther)).payload.resource, mine, 'a token issued for another site');
    });
  });

  describe('refuses, with its own jose check', () => {
    it('a token with alg "none"', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify(decodeJwt(aliceToken))).toString('base64url');
      const unsigned = `${header}.${payload}.`;
      await assert.rejects(checkWithPublicKey(unsigned), errors.JOSEAlgNotAllowed);
      await assert.rejects(checkWithJwks(unsigned), errors.JOSEAlgNotAllowed);
    });

    it("a token signed HS256 with the HAT's public key PEM as the HMAC secret", async () => {
      const pem = (await server.call('alice', '/publickey')).text;
      const forged = await new SignJWT(decodeJwt(aliceToken))
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: decodeProtectedHeader(aliceToken).kid })
        .sign(new TextEncoder().encode(pem));
      await assert.rejects(checkWithPublicKey(forged), errors.JOSEAlgNotAllowed);
      await assert.rejects(checkWithJwks(forged), errors.JOSEAlgNotAllowed);
    });

    it("a token signed by another HAT's key", async () => {
      // Bob's genuine token, claimed to be Alice's.
      await assert.rejects(checkWithPublicKey(bobToken), errors.JWSSignatureVerificationFailed);
      await assert.rejects(checkWithJwks(bobToken), errors.JWKSNoMatchingKey);
      // Alice's claims, signed by Bob's key under Alice's kid.
      const forged = await signWithKeyOf('bob', decodeJwt(aliceToken), String(decodeProtectedHeader(aliceToken).kid));
      await assert.rejects(checkWithPublicKey(forged), errors.JWSSignatureVerificationFailed);
      await assert.rejects(checkWithJwks(forged), errors.JWSSignatureVerificationFailed);
    });

    it('a token of another HAT, even checked against that HAT\'s own key, when the user claimed this one', async () => {
      await assert.doesNotReject(checkWithPublicKey(bobToken, 'bob'));
      await assert.rejects(
        jwtVerify(bobToken, await publicKeyOf('bob'), { algorithms: ['RS256'], issuer: alice }),
        (err: unknown) => err instanceof errors.JWTClaimValidationFailed && err.claim === 'iss',
      );
    });

    it('an expired token', async () => {
      const iat = now() - 4 * 24 * 3600;
      const expired = await signWithKeyOf('alice', { ...decodeJwt(aliceToken), iat, exp: iat + 3 * 24 * 3600 });
      await assert.rejects(checkWithPublicKey(expired), errors.JWTExpired);
      await assert.rejects(checkWithJwks(expired), errors.JWTExpired);
    });

    it('a token whose payload was tampered with', async () => {
      const [header, , signature] = aliceToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...decodeJwt(aliceToken), accessScope: 'owner', sub: 'someone-else' })).toString('base64url');
      const tampered = `${header}.${payload}.${signature}`;
      await assert.rejects(checkWithPublicKey(tampered), errors.JWSSignatureVerificationFailed);
      await assert.rejects(checkWithJwks(tampered), errors.JWSSignatureVerificationFailed);
    });
  });
});
