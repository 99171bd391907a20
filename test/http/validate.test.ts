import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { SESSION_COOKIE } from '../../src/http/session.js';
import type { HatRecord } from '../../src/store/ports.js';
import type { Reply } from '../support/http.js';
import { FormClient, valueOf } from '../support/forms.js';
import { approvalPage } from '../support/hatlogin.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const INVALID = 'The supplied authentication is invalid';
const NEW_PASSWORD = 'violet lanterns drift over quiet harbours';

/** SPEC 4 and 5: GET /users/access_token/validate, and every reason a token is refused. */
describe('GET /users/access_token/validate (SPEC 5)', () => {
  let server: TestServer;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    server = await startTestServer();
    aliceToken = (await server.createHat('alice')).token;
    bobToken = (await server.createHat('bob')).token;
  });
  after(() => server.stop());

  const hatRecord = async (name: string): Promise<HatRecord> => {
    const hat = await server.services.hats.find(name);
    assert.ok(hat, `HAT ${name} exists`);
    return hat;
  };

  /** A token signed with `signer`'s real private key; `kid` defaults to that key's own. */
  const signWithKeyOf = async (signer: string, claims: JWTPayload, kid?: string) => {
    const hat = await hatRecord(signer);
    const key = await server.services.keys.signingKey(hat.name, hat.revision);
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: kid ?? key.kid }).sign(key.key);
  };

  const aliceKid = () => String(decodeProtectedHeader(aliceToken).kid);
  const aliceClaims = () => decodeJwt(aliceToken);
  const now = () => Math.floor(Date.now() / 1000);

  const validate = (headers: Record<string, string> = {}, query = '', hat = 'alice') =>
    server.call(hat, `/users/access_token/validate${query}`, { headers });
  const withToken = (token: string) => validate({ 'X-Auth-Token': token });

  /** Asserts the SPEC 5 refusal and returns its cause. */
  const refused = (reply: Reply): string => {
    assert.equal(reply.status, 401, reply.text);
    const body = reply.json<{ message: string; cause: string }>();
    assert.deepEqual(Object.keys(body).sort(), ['cause', 'message']);
    assert.equal(body.message, INVALID);
    assert.ok(body.cause.length > 10, 'the cause says something');
    return body.cause;
  };

  const authenticated = (reply: Reply) => {
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json(), { message: 'Authenticated' });
  };

  describe('accepts a valid owner token from each source, in the order of SPEC 5', () => {
    it('the X-Auth-Token header', async () => {
      authenticated(await withToken(aliceToken));
    });

    it('the X-Auth-Token query parameter', async () => {
      authenticated(await validate({}, `?X-Auth-Token=${encodeURIComponent(aliceToken)}`));
    });

    it('the access_token query parameter', async () => {
      authenticated(await validate({}, `?access_token=${encodeURIComponent(aliceToken)}`));
    });

    it('the username and pass query parameters (the legacy form, on by default)', async () => {
      authenticated(await validate({}, `?username=alice&pass=${encodeURIComponent(STRONG_PASSWORD)}`));
    });

    it('refuses a wrong pass in the query with the same title as any refused credential', async () => {
      refused(await validate({}, `?username=alice&pass=wrong-password`));
    });

    it('tries the header before the query parameters', async () => {
      const reply = await validate({ 'X-Auth-Token': 'not-a-token' }, `?access_token=${encodeURIComponent(aliceToken)}`);
      assert.match(refused(reply), /malformed/i);
    });

    it("refuses another HAT's valid token presented on this HAT", async () => {
      refused(await withToken(bobToken));
      authenticated(await validate({ 'X-Auth-Token': bobToken }, '', 'bob'));
    });
  });

  describe('refuses, with a distinct and meaningful cause (SPEC 4)', () => {
    const causes = new Map<string, string>();
    const record = (label: string, cause: string) => {
      causes.set(label, cause);
      return cause;
    };

    it('no token at all', async () => {
      assert.match(record('no token', refused(await validate())), /no token/i);
    });

    it('a malformed token', async () => {
      assert.match(record('malformed', refused(await withToken('this.is-not.a-jwt'))), /malformed/i);
      assert.match(refused(await withToken('garbage')), /malformed/i);
    });

    it('a token with alg "none"', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify(aliceClaims())).toString('base64url');
      const cause = refused(await withToken(`${header}.${payload}.`));
      assert.match(record('alg none', cause), /algorithm.*none/i);
    });

    it("a token signed HS256 with the HAT's public key PEM as the HMAC secret", async () => {
      const pem = (await server.call('alice', '/publickey')).text;
      assert.match(pem, /BEGIN PUBLIC KEY/);
      const forged = await new SignJWT({ ...aliceClaims(), jti: 'forged-hs256' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: aliceKid() })
        .sign(new TextEncoder().encode(pem));
      assert.match(record('HS256', refused(await withToken(forged))), /algorithm.*HS256/i);
    });

    it("a token signed by another HAT's key, with that HAT's kid", async () => {
      // Bob's genuine owner token, presented to Alice.
      assert.match(record('foreign kid', refused(await withToken(bobToken))), /key/i);
    });

    it("a token signed by another HAT's key, with this HAT's kid", async () => {
      const claims = decodeJwt(bobToken);
      const cause = refused(await withToken(await signWithKeyOf('bob', claims, aliceKid())));
      assert.match(record('foreign key, our kid', cause), /another issuer|this HAT's key/i);
    });

    it("a token with Alice's own claims signed by another HAT's key under Alice's kid", async () => {
      // Indistinguishable from an altered token: only its signature is wrong.
      const forged = await signWithKeyOf('bob', { ...aliceClaims(), jti: 'forged-by-bob' }, aliceKid());
      assert.match(refused(await withToken(forged)), /signature/i);
    });

    it("a token whose iss is another HAT, signed with this HAT's key", async () => {
      const claims = { ...aliceClaims(), iss: server.services.tokens.issuer('bob') };
      const cause = refused(await withToken(await signWithKeyOf('alice', claims)));
      assert.match(record('iss', cause), /issued by another HAT|issuer/i);
    });

    it('an expired token', async () => {
      const iat = now() - 4 * 24 * 3600;
      const token = await signWithKeyOf('alice', { ...aliceClaims(), iat, exp: iat + 3 * 24 * 3600 });
      assert.match(record('expired', refused(await withToken(token))), /expired/i);
    });

    it('a token not yet valid (iat in the future)', async () => {
      const iat = now() + 3600;
      const token = await signWithKeyOf('alice', { ...aliceClaims(), iat, exp: iat + 3 * 24 * 3600 });
      assert.match(record('not yet valid', refused(await withToken(token))), /not yet valid/i);
    });

    it('a token not yet valid (nbf in the future)', async () => {
      const token = await signWithKeyOf('alice', { ...aliceClaims(), nbf: now() + 3600 });
      assert.match(refused(await withToken(token)), /not yet valid/i);
    });

    it('a token whose payload was tampered with', async () => {
      const [header, , signature] = aliceToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...aliceClaims(), exp: now() + 365 * 24 * 3600 })).toString('base64url');
      const cause = refused(await withToken(`${header}.${payload}.${signature}`));
      assert.match(record('tampered', cause), /signature is not valid/i);
    });

    it('an owner token issued before a password change', async () => {
      const { token: before } = await server.createHat('carol');
      authenticated(await validate({ 'X-Auth-Token': before }, '', 'carol'));
      const change = await server.call('carol', '/control/v2/auth/password', {
        method: 'POST',
        headers: { 'X-Auth-Token': before },
        body: { password: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
      });
      assert.equal(change.status, 200, change.text);
      const cause = refused(await validate({ 'X-Auth-Token': before }, '', 'carol'));
      assert.match(record('password change', cause), /password change/i);
      authenticated(await validate({ 'X-Auth-Token': change.json().accessToken }, '', 'carol'));
    });

    it('gives each of those cases its own cause', () => {
      assert.equal(causes.size, 11, `every case above ran: ${[...causes.keys()].join(', ')}`);
      const seen = new Map<string, string>();
      for (const [label, cause] of causes) {
        assert.ok(!seen.has(cause), `"${label}" and "${seen.get(cause)}" share the cause "${cause}"`);
        seen.set(cause, label);
      }
    });
  });

  describe("the browser's session cookie", () => {
    it('never authenticates an API call', async () => {
      // A real owner session, made by logging in on the HAT's own login page.
      const browser = new FormClient(server, 'alice');
      const approval = await approvalPage(browser, 'Cookie Test', 'http://localhost:9/callback');
      assert.equal(approval.status, 200);
      assert.notEqual(valueOf(approval.text, 'pending'), null, 'the session is logged in: it shows the approval form');
      assert.match(browser.cookieHeader, new RegExp(`${SESSION_COOKIE}=`));

      const cookie = browser.cookieHeader;
      assert.match(refused(await validate({ Cookie: cookie })), /no token/i);
      const change = await server.call('alice', '/control/v2/auth/password', {
        method: 'POST',
        headers: { Cookie: cookie },
        body: { password: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
      });
      assert.equal(change.status, 401);
      authenticated(await withToken(aliceToken));
    });
  });
});

describe('GET /users/access_token/validate with ALLOW_QUERY_CREDENTIALS=false (SPEC 5, 11)', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer({ ALLOW_QUERY_CREDENTIALS: 'false' });
    token = (await server.createHat('alice')).token;
  });
  after(() => server.stop());

  it('refuses the username and pass query parameters, saying why', async () => {
    const reply = await server.call('alice', `/users/access_token/validate?username=alice&pass=${encodeURIComponent(STRONG_PASSWORD)}`);
    assert.equal(reply.status, 401);
    assert.equal(reply.json().message, INVALID);
    assert.match(reply.json().cause, /not accepted/);
  });

  it('still accepts a token', async () => {
    const reply = await server.call('alice', `/users/access_token/validate?access_token=${encodeURIComponent(token)}`);
    assert.equal(reply.status, 200);
  });
});
