import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** SPEC 4 and 5: GET /users/access_token (and /user/access_token) gives the owner a token. */
describe('GET /users/access_token (SPEC 5)', () => {
  let server: TestServer;
  let aliceId: string;
  const PLUS_PASSWORD = 'correct+horse+battery+staple';
  const ODD_PASSWORD = '100% sûre+pass wörd ✓ grape';

  before(async () => {
    server = await startTestServer();
    ({ userId: aliceId } = await server.createHat('alice'));
    await server.createHat('bob');
    await server.createHat('plus', PLUS_PASSWORD);
    await server.createHat('odd', ODD_PASSWORD);
  });
  after(() => server.stop());

  const login = (hat: string, headers: Record<string, string>, path = '/users/access_token') =>
    server.call(hat, path, { headers });

  it('answers 200 {accessToken, userId} for the HAT name and password', async () => {
    const reply = await login('alice', { username: 'alice', password: STRONG_PASSWORD });
    assert.equal(reply.status, 200);
    const body = reply.json();
    assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'userId']);
    assert.equal(body.userId, aliceId);
    assert.match(body.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('answers the same on the singular /user/access_token', async () => {
    const reply = await login('alice', { username: 'alice', password: STRONG_PASSWORD }, '/user/access_token');
    assert.equal(reply.status, 200);
    assert.equal(reply.json().userId, aliceId);
  });

  it('also returns the token in the X-Auth-Token response header', async () => {
    const reply = await login('alice', { username: 'alice', password: STRONG_PASSWORD });
    assert.equal(reply.headers['x-auth-token'], reply.json().accessToken);
  });

  it("accepts the owner's email as username, whatever its case", async () => {
    for (const username of ['alice@example.com', 'Alice@Example.COM']) {
      const reply = await login('alice', { username, password: STRONG_PASSWORD });
      assert.equal(reply.status, 200, username);
      assert.equal(reply.json().userId, aliceId);
    }
  });

  it('accepts the HAT name whatever its case', async () => {
    const reply = await login('alice', { username: 'ALICE', password: STRONG_PASSWORD });
    assert.equal(reply.status, 200);
  });

  it('percent-decodes the headers: a password with %, +, spaces and unicode works when encodeURIComponent-ed', async () => {
    const reply = await login('odd', { username: encodeURIComponent('odd'), password: encodeURIComponent(ODD_PASSWORD) });
    assert.equal(reply.status, 200);
  });

  it('keeps a + as a + (it is not a space)', async () => {
    assert.equal((await login('plus', { username: 'plus', password: PLUS_PASSWORD })).status, 200);
    assert.equal((await login('plus', { username: 'plus', password: encodeURIComponent(PLUS_PASSWORD) })).status, 200);
    const asSpaces = await login('plus', { username: 'plus', password: PLUS_PASSWORD.replaceAll('+', ' ') });
    assert.equal(asSpaces.status, 401);
  });

  it('answers 400 naming the header when its percent-encoding is malformed', async () => {
    const badPassword = await login('alice', { username: 'alice', password: 'abc%E0%A4%A' });
    assert.equal(badPassword.status, 400);
    assert.equal(badPassword.json().message, 'Bad Request');
    assert.match(badPassword.json().cause, /password header/);

    const badUsername = await login('alice', { username: 'al%ice', password: STRONG_PASSWORD });
    assert.equal(badUsername.status, 400);
    assert.match(badUsername.json().cause, /username header/);
  });

  it('answers 401 "Credentials required" when a header is missing', async () => {
    const incomplete: Record<string, string>[] = [{}, { username: 'alice' }, { password: STRONG_PASSWORD }, { username: '', password: '' }];
    for (const headers of incomplete) {
      const reply = await login('alice', headers);
      assert.equal(reply.status, 401, JSON.stringify(headers));
      assert.equal(reply.json().message, 'Credentials required');
      assert.ok(reply.json().cause.length > 0);
      assert.equal(reply.headers['x-auth-token'], undefined);
    }
  });

  it('answers a wrong password and an unknown user with the same 401 body', async () => {
    const wrongPassword = await login('alice', { username: 'alice', password: 'not the right password' });
    const unknownUser = await login('alice', { username: 'mallory', password: STRONG_PASSWORD });
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownUser.status, 401);
    assert.equal(wrongPassword.text, unknownUser.text);
    assert.deepEqual(Object.keys(wrongPassword.json()).sort(), ['cause', 'message']);
    assert.equal(wrongPassword.headers['x-auth-token'], undefined);
  });

  it("refuses the name, or email, of another HAT of this cluster on this HAT's host", async () => {
    for (const username of ['bob', 'bob@example.com']) {
      const reply = await login('alice', { username, password: STRONG_PASSWORD });
      assert.equal(reply.status, 401, username);
      assert.equal(reply.headers['x-auth-token'], undefined);
    }
  });

  describe('the owner token (SPEC 4)', () => {
    let token: string;
    before(async () => {
      token = (await login('alice', { username: 'alice', password: STRONG_PASSWORD })).json().accessToken;
    });

    it('has iss = the HAT address with its port, sub = the userId and accessScope owner', () => {
      const claims = decodeJwt(token);
      assert.equal(claims.iss, `alice.${server.config.hatDomain}:${server.port}`);
      assert.equal(claims.iss, server.hatHost('alice'));
      assert.equal(claims.sub, aliceId);
      assert.equal(claims.accessScope, 'owner');
    });

    it('has iat, exp three days later, and a unique jti', async () => {
      const claims = decodeJwt(token);
      assert.equal(typeof claims.iat, 'number');
      assert.ok(Math.abs(claims.iat! - Date.now() / 1000) < 60, 'iat is now');
      assert.equal(claims.exp! - claims.iat!, 3 * 24 * 3600);
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
      const another = (await login('alice', { username: 'alice', password: STRONG_PASSWORD })).json().accessToken;
      assert.notEqual(decodeJwt(another).jti, claims.jti);
    });

    it('is signed RS256 with a kid that /.well-known/jwks.json publishes', async () => {
      const header = decodeProtectedHeader(token);
      assert.equal(header.alg, 'RS256');
      assert.equal(typeof header.kid, 'string');
      const jwks = (await server.call('alice', '/.well-known/jwks.json')).json<{ keys: { kid: string; kty: string }[] }>();
      const published = jwks.keys.find((k) => k.kid === header.kid);
      assert.ok(published, 'the kid is in the JWKS');
      assert.equal(published.kty, 'RSA');
    });

    it("is signed with this HAT's own key, not another HAT's", async () => {
      const bobs = (await server.call('bob', '/.well-known/jwks.json')).json<{ keys: { kid: string }[] }>();
      assert.ok(!bobs.keys.some((k) => k.kid === decodeProtectedHeader(token).kid));
    });
  });
});
