import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyRing, KeyVault } from '../../src/services/keys.js';
import { newKeyRecord } from '../../src/services/keys.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { admin } from '../support/apps.js';
import { request } from '../support/http.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/**
 * Key rotation with overlap (SPEC 4, 9): through the admin API, as a relying party sees it, and
 * racing logins.
 */
describe('POST /api/admin/hats/<name>/keys/rotate (SPEC 4, 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const validate = (hat: string, token: string) => server.call(hat, '/users/access_token/validate', { headers: { 'X-Auth-Token': token } });
  const jwksKids = async (hat: string) =>
    (await server.call(hat, '/.well-known/jwks.json')).json<{ keys: Array<{ kid: string }> }>().keys.map((k) => k.kid);

  it('answers {kid, previous}: new tokens use the new key at once, /publickey shows it, old tokens still validate', async () => {
    const { token: old } = await server.createHat('rotalice');
    const oldKid = decodeProtectedHeader(old).kid;
    const reply = await admin(server, 'POST', '/api/admin/hats/rotalice/keys/rotate');
    assert.equal(reply.status, 200, reply.text);
    const { kid, previous } = reply.json<{ kid: string; previous: string }>();
    assert.equal(previous, oldKid);
    assert.notEqual(kid, oldKid);
    const fresh = await server.ownerToken('rotalice');
    assert.equal(decodeProtectedHeader(fresh).kid, kid);
    assert.equal((await server.call('rotalice', '/publickey')).headers.etag, `"${kid}"`);
    assert.deepEqual(await jwksKids('rotalice'), [kid, oldKid]);
    assert.equal((await validate('rotalice', old)).status, 200, 'a token of the earlier key validates');
    assert.equal((await validate('rotalice', fresh)).status, 200);
  });

  it('with {"revoke": true} tokens of the earlier keys stop at once and those keys leave the JWKS', async () => {
    const { token: old } = await server.createHat('rotbob');
    await admin(server, 'POST', '/api/admin/hats/rotbob/keys/rotate');
    const middle = await server.ownerToken('rotbob');
    const reply = await admin(server, 'POST', '/api/admin/hats/rotbob/keys/rotate', { revoke: true });
    assert.equal(reply.status, 200, reply.text);
    const { kid, previous } = reply.json<{ kid: string; previous: string }>();
    assert.equal(previous, decodeProtectedHeader(middle).kid);
    for (const token of [old, middle]) {
      const refused = await validate('rotbob', token);
      assert.equal(refused.status, 401);
      assert.match(refused.json<{ cause: string }>().cause, /not one of this HAT's keys/);
    }
    assert.deepEqual(await jwksKids('rotbob'), [kid]);
  });

  it('refuses a revoke that is not a boolean, a body that is not an object, and an unknown HAT', async () => {
    await server.createHat('rotcarl');
    const bad = await admin(server, 'POST', '/api/admin/hats/rotcarl/keys/rotate', { revoke: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ cause: string }>().cause, /revoke/);
    assert.equal((await admin(server, 'POST', '/api/admin/hats/rotcarl/keys/rotate', [true])).status, 400);
    const unknown = await admin(server, 'POST', '/api/admin/hats/nobody-here/keys/rotate');
    assert.equal(unknown.status, 404);
    assert.deepEqual(Object.keys(unknown.json()), ['message', 'cause']);
    assert.equal((await server.call(null, '/api/admin/hats/rotcarl/keys/rotate', { method: 'POST' })).status, 401);
  });

  it('is written to the HAT activity log as done by the operator', async () => {
    await server.createHat('rotdora');
    await admin(server, 'POST', '/api/admin/hats/rotdora/keys/rotate');
    const { entries } = await server.services.activity.page('rotdora', 1, 10);
    assert.ok(entries.some((e) => e.type === 'key_rotated' && e.via === 'operator'));
  });

  it('a relying party caching the JWKS (jose createRemoteJWKSet) verifies tokens of the old key and of the new one', async () => {
    const { token: old } = await server.createHat('rotrp');
    const iss = decodeJwt(old).iss!;
    let fetches = 0;
    // Node does not resolve *.localhost: the relying party's fetch goes to 127.0.0.1 with the HAT's Host.
    const jwks = createRemoteJWKSet(new URL(`http://${iss}/.well-known/jwks.json`), {
      cooldownDuration: 0,
      [customFetch]: async (url: string) => {
        fetches++;
        const u = new URL(url);
        const reply = await request(server.port, u.host, u.pathname);
        return new Response(reply.text, { status: reply.status, headers: { 'content-type': 'application/json' } });
      },
    });
    const verify = (token: string) => jwtVerify(token, jwks, { issuer: iss, algorithms: ['RS256'] });
    await verify(old);
    await admin(server, 'POST', '/api/admin/hats/rotrp/keys/rotate');
    await verify(old); // from the cached set
    const fresh = await server.ownerToken('rotrp');
    await verify(fresh); // an unknown kid: jose fetches the set again, and finds the new key
    await verify(old); // ... in which the old key still is
    assert.equal(fetches, 2);
  });
});

describe('An earlier key verifies until the tokens it signed can have expired (SPEC 4)', () => {
  it('tokens of the old key validate until they expire, then are refused as expired', async () => {
    const server = await startTestServer({ OWNER_TOKEN_TTL: '2' });
    try {
      const { token: old } = await server.createHat('expiry');
      await admin(server, 'POST', '/api/admin/hats/expiry/keys/rotate');
      const check = () => server.call('expiry', '/users/access_token/validate', { headers: { 'X-Auth-Token': old } });
      assert.equal((await check()).status, 200);
      await sleep(Math.max(0, decodeJwt(old).exp! * 1000 - Date.now()) + 50);
      const refused = await check();
      assert.equal(refused.status, 401);
      assert.match(refused.json<{ cause: string }>().cause, /expired/);
    } finally {
      await server.stop();
    }
  });

  it('the earlier key leaves the published keys once its overlap has run out', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hat-ring-'));
    const store = openSqliteStore(dir);
    try {
      const vault = new KeyVault('a secret for this test only');
      const ring = new KeyRing(store, vault, { retireAfterSeconds: 1 });
      const hat = { name: 'ringo', ownerId: 'o', email: 'r@example.com', fullName: '', passwordHash: 'x', disabled: false, tokensNotBefore: 0, revision: 1, createdAt: new Date() };
      const first = await newKeyRecord('ringo', vault);
      await store.hats.create(hat, first);
      const rotated = await ring.rotate('ringo');
      const revision = (await store.hats.revision('ringo'))!;
      assert.deepEqual((await ring.publishedKeys('ringo', revision)).map((k) => k.kid), [rotated!.kid, first.kid]);
      assert.equal((await ring.signingKey('ringo', revision)).kid, rotated!.kid);
      assert.equal((await ring.privateJwks('ringo', revision)).keys.length, 2);
      await sleep(1100);
      assert.deepEqual((await ring.publishedKeys('ringo', revision)).map((k) => k.kid), [rotated!.kid], 'retired by the clock alone');
      assert.equal(await ring.keySetId('ringo', revision), rotated!.kid);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('A rotation racing logins (SPEC 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('every login answers before or after the rotation, never a 500, and every token it gave validates or was revoked', async () => {
    await server.createHat('racer');
    const login = () =>
      server.call('racer', '/users/access_token', { headers: { username: 'racer', password: encodeURIComponent(STRONG_PASSWORD) } });
    const logins = Array.from({ length: 12 }, login);
    const rotations = [admin(server, 'POST', '/api/admin/hats/racer/keys/rotate'), admin(server, 'POST', '/api/admin/hats/racer/keys/rotate')];
    const replies = await Promise.all([...logins, ...rotations]);
    for (const reply of replies) assert.equal(reply.status, 200, reply.text);
    for (const reply of replies.slice(0, 12)) {
      const token = reply.json<{ accessToken: string }>().accessToken;
      const checked = await server.call('racer', '/users/access_token/validate', { headers: { 'X-Auth-Token': token } });
      assert.equal(checked.status, 200, checked.text);
    }
  });
});

describe('Scheduled rotation: KEY_ROTATION_DAYS (SPEC 4)', () => {
  it('is off by default, and when set rotates exactly the HATs whose key is older, with the usual overlap', async () => {
    const server = await startTestServer({ KEY_ROTATION_DAYS: '7' });
    try {
      assert.equal(server.config.keyRotationDays, 7);
      const { token: fresh } = await server.createHat('newkey');
      const vault = new KeyVault(server.config.keyEncryptionSecret);
      const store = openSqliteStore(server.dataDir);
      const old = await newKeyRecord('oldkey', vault, new Date(Date.now() - 8 * 24 * 3600 * 1000));
      await store.hats.create(
        { name: 'oldkey', ownerId: 'owner-of-oldkey', email: 'oldkey@example.com', fullName: '', passwordHash: 'x', disabled: false, tokensNotBefore: 0, revision: 1, createdAt: new Date() },
        old,
      );
      await store.close();
      const rotated = await server.services.hatAdmin.rotateKeysOlderThan(server.config.keyRotationDays);
      assert.deepEqual(rotated, ['oldkey']);
      assert.deepEqual((await server.call('oldkey', '/.well-known/jwks.json')).json<{ keys: Array<{ kid: string }> }>().keys.length, 2);
      assert.equal((await server.call('newkey', '/.well-known/jwks.json')).json<{ keys: unknown[] }>().keys.length, 1);
      assert.equal((await server.call('newkey', '/users/access_token/validate', { headers: { 'X-Auth-Token': fresh } })).status, 200);
      const { entries } = await server.services.activity.page('oldkey', 1, 5);
      assert.match(entries[0]?.detail ?? '', /scheduled/);
      assert.deepEqual(await server.services.hatAdmin.rotateKeysOlderThan(7), [], 'a second sweep finds nothing to do');
    } finally {
      await server.stop();
    }
    const off = await startTestServer();
    assert.equal(off.config.keyRotationDays, 0);
    await off.stop();
  });
});
