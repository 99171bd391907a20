import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { HatRecord, Store } from '../../src/store/ports.js';
import type { RequestOptions } from '../support/http.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const NEW_PASSWORD = 'violet lanterns drift over quiet harbours';

/** SPEC 5: POST /control/v2/auth/password. */
describe('POST /control/v2/auth/password (SPEC 5)', () => {
  let server: TestServer;
  let store: Store;
  let storeDir: string;
  let aliceToken: string;

  before(async () => {
    // Our own store, so that tests can put grants and approvals the pages would make.
    storeDir = mkdtempSync(path.join(tmpdir(), 'hat-test-store-'));
    store = openSqliteStore(storeDir);
    server = await startTestServer({}, store);
    aliceToken = (await server.createHat('alice')).token;
  });
  after(async () => {
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const change = (hat: string, token: string, body: unknown, options: RequestOptions = {}) =>
    server.call(hat, '/control/v2/auth/password', {
      method: 'POST',
      body,
      ...options,
      headers: { 'X-Auth-Token': token, ...(options.headers ?? {}) },
    });
  const validate = (hat: string, token: string) =>
    server.call(hat, '/users/access_token/validate', { headers: { 'X-Auth-Token': token } });
  const login = (hat: string, password: string) =>
    server.call(hat, '/users/access_token', { headers: { username: hat, password: encodeURIComponent(password) } });
  const hatRecord = async (name: string): Promise<HatRecord> => {
    const hat = await server.services.hats.find(name);
    assert.ok(hat);
    return hat;
  };

  describe('a successful change', () => {
    let reply: Awaited<ReturnType<typeof change>>;
    let earlierTokens: string[];
    let sessionId: string;

    before(async () => {
      await server.createHat('carol');
      earlierTokens = [await server.ownerToken('carol'), await server.ownerToken('carol'), await server.ownerToken('carol')];
      sessionId = randomUUID();
      await server.services.sessions.set({ id: sessionId, hat: 'carol', data: { owner: true }, expiresAt: new Date(Date.now() + 3600_000) });
      reply = await change('carol', earlierTokens[0]!, { password: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    });

    it('answers 200 {message, accessToken}', () => {
      assert.equal(reply.status, 200, reply.text);
      const body = reply.json();
      assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'message']);
      assert.equal(typeof body.message, 'string');
      assert.equal(decodeJwt(body.accessToken).accessScope, 'owner');
    });

    it('returns a new token that works', async () => {
      assert.equal((await validate('carol', reply.json().accessToken)).status, 200);
    });

    it('refuses every owner token from before, saying it was a password change', async () => {
      for (const token of earlierTokens) {
        const refused = await validate('carol', token);
        assert.equal(refused.status, 401);
        assert.match(refused.json().cause, /password change/);
      }
    });

    it('ends every browser session from before', async () => {
      assert.equal(await server.services.sessions.get(sessionId), null);
    });

    it('makes the new password the one that logs in', async () => {
      assert.equal((await login('carol', NEW_PASSWORD)).status, 200);
      assert.equal((await login('carol', STRONG_PASSWORD)).status, 401);
    });

    it("is written to the HAT's activity log", async () => {
      const { entries } = await server.services.activity.page('carol', 1, 50);
      assert.ok(entries.some((e) => e.type === 'password_changed'));
    });
  });

  it('answers 403 to a wrong old password and changes nothing', async () => {
    const reply = await change('alice', aliceToken, { password: 'not the old password', newPassword: NEW_PASSWORD });
    assert.equal(reply.status, 403);
    assert.match(reply.json().cause, /old password/i);
    assert.equal((await validate('alice', aliceToken)).status, 200);
    assert.equal((await login('alice', STRONG_PASSWORD)).status, 200);
  });

  it('answers 403 to the old password with extra characters past the longest allowed length', async () => {
    const longest = ('violet lanterns drift ' + 'x'.repeat(1024)).slice(0, 1024);
    const { token } = await server.createHat('dora', longest);
    const reply = await change('dora', token, { password: longest + 'tail', newPassword: NEW_PASSWORD });
    assert.equal(reply.status, 403);
    assert.equal((await validate('dora', token)).status, 200, 'nothing changed');
  });

  it('answers 403 when the old password is missing', async () => {
    const reply = await change('alice', aliceToken, { newPassword: NEW_PASSWORD });
    assert.equal(reply.status, 403);
    assert.match(reply.json().cause, /old password/i);
    assert.equal((await validate('alice', aliceToken)).status, 200);
  });

  it("answers 400 naming newPassword, with zxcvbn's advice, to a weak new password", async () => {
    const weak = await change('alice', aliceToken, { password: STRONG_PASSWORD, newPassword: 'password123' });
    assert.equal(weak.status, 400);
    const cause: string = weak.json().cause;
    assert.match(cause, /^newPassword /);
    assert.match(cause, /strength \d of 4/);
    assert.match(cause, /\.\s+\S.{10,}/, 'advice follows the verdict');

    const short = await change('alice', aliceToken, { password: STRONG_PASSWORD, newPassword: 'Xq7#' });
    assert.equal(short.status, 400);
    assert.match(short.json().cause, /newPassword.*at least 10 characters/);

    const missing = await change('alice', aliceToken, { password: STRONG_PASSWORD });
    assert.equal(missing.status, 400);
    assert.match(missing.json().cause, /newPassword/);

    assert.equal((await validate('alice', aliceToken)).status, 200, 'nothing changed');
  });

  it('answers 401 without a token', async () => {
    const reply = await server.call('alice', '/control/v2/auth/password', {
      method: 'POST',
      body: { password: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(reply.status, 401);
  });

  it('answers 403 to a validate token (only the owner may)', async () => {
    const origin = 'https://service.example';
    await store.approvals.put({
      id: randomUUID(), hat: 'alice', name: 'Some Service', origin,
      tokensNotBefore: Math.floor(Date.now() / 1000) - 1, createdAt: new Date(), lastUsedAt: null,
    });
    const { token } = await server.services.tokens.signValidateToken(await hatRecord('alice'), 'Some Service', `${origin}/back`);
    assert.equal((await validate('alice', token)).status, 200, 'the validate token itself is good');
    const reply = await change('alice', token, { password: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(reply.status, 403);
    assert.equal((await validate('alice', aliceToken)).status, 200, 'nothing changed');
  });

  it('answers 403 to an application token (only the owner may)', async () => {
    await store.grants.put({
      hat: 'alice', applicationId: 'notes-app', enabled: true, permissions: [{ namespace: 'notes', access: 'write' }],
      version: '1.0.0', tokensNotBefore: Math.floor(Date.now() / 1000) - 1, updatedAt: new Date(), lastUsedAt: null,
    });
    const { token } = await server.services.tokens.application(
      await hatRecord('alice'), { id: 'notes-app', version: '1.0.0' }, 'https://notes.example/back',
    );
    assert.equal((await validate('alice', token)).status, 200, 'the application token itself is good');
    const reply = await change('alice', token, { password: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    assert.equal(reply.status, 403);
    assert.equal((await validate('alice', aliceToken)).status, 200, 'nothing changed');
  });

  it('answers 415 to a body that is not JSON', async () => {
    const reply = await change('alice', aliceToken, `password=${encodeURIComponent(STRONG_PASSWORD)}&newPassword=x`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(reply.status, 415);
    assert.deepEqual(Object.keys(reply.json()).sort(), ['cause', 'message']);
  });

  it('answers 400 to malformed JSON', async () => {
    const reply = await change('alice', aliceToken, '{"password": "x", ', { headers: { 'content-type': 'application/json' } });
    assert.equal(reply.status, 400);
    assert.match(reply.json().cause, /JSON/);
  });

  it('answers 400 naming the field when a value is not a string, or the body not an object', async () => {
    const reply = await change('alice', aliceToken, { password: STRONG_PASSWORD, newPassword: 12345678901 });
    assert.equal(reply.status, 400);
    assert.match(reply.json().cause, /newPassword must be a string/);
    const long = await change('alice', aliceToken, { password: 'x'.repeat(2001), newPassword: NEW_PASSWORD });
    assert.equal(long.status, 400);
    assert.match(long.json().cause, /^password .*at most 2000 characters/);
    const notObject = await change('alice', aliceToken, ['password', 'newPassword']);
    assert.equal(notObject.status, 400);
    assert.match(notObject.json().cause, /JSON object/);
  });
});
