import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { admin, appToken, enableApp, ownerCall, registerApp, validateToken } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const APPS = '/api/v2.6/applications';

describe("an owner's applications (SPEC 5)", () => {
  let server: TestServer;
  let owner: string;
  const call = (method: string, path: string, body?: unknown) => ownerCall(server, 'alice', owner, method, path, body);
  const asApp = (token: string, method: string, path: string, body?: unknown) =>
    server.call('alice', path, { method, headers: { 'x-auth-token': token }, ...(body === undefined ? {} : { body }) });
  const statusOf = async (id: string) => {
    const reply = await call('GET', APPS);
    assert.equal(reply.status, 200);
    return reply.json().find((s: { application: { id: string } }) => s.application.id === id);
  };
  const activity = async () => (await server.services.activity.page('alice', 1, 50)).entries;

  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('alice')).token;
    await server.createHat('bob');
    await registerApp(server, 'diary', [{ namespace: 'diary', access: 'write' }]);
    await registerApp(server, 'reader', [{ namespace: 'diary', access: 'read' }]);
  });
  after(() => server.stop());

  it('lists every registered application with its status on this HAT', async () => {
    const reply = await call('GET', APPS);
    assert.equal(reply.status, 200);
    const list = reply.json();
    assert.deepEqual(list.map((s: { application: { id: string } }) => s.application.id), ['diary', 'reader']);
    const diary = list[0];
    assert.deepEqual(
      { setup: diary.setup, enabled: diary.enabled, active: diary.active, needsConsent: diary.needsConsent, granted: diary.granted },
      { setup: false, enabled: false, active: false, needsConsent: false, granted: [] },
    );
    assert.deepEqual(diary.application.permissions.rolesGranted, [{ role: 'namespacewrite', detail: 'diary' }]);
    assert.equal(diary.application.kind.kind, 'App');
    assert.deepEqual(diary.application.setup.validRedirectUris, ['https://diary.example.com/callback']);
    assert.deepEqual(diary.newPermissions, [{ namespace: 'diary', access: 'write' }]);
  });

  it('refuses an application token of an application that is not enabled (403)', async () => {
    const reply = await call('GET', `${APPS}/diary/access-token`);
    assert.equal(reply.status, 403);
    assert.match(reply.json().cause, /not enabled/);
  });

  it('enables an application with consent to exactly its declared permissions, and logs it', async () => {
    const reply = await call('POST', `${APPS}/diary/setup`);
    assert.equal(reply.status, 200);
    const status = reply.json();
    assert.equal(status.setup, true);
    assert.equal(status.enabled, true);
    assert.equal(status.active, true);
    assert.deepEqual(status.granted, [{ namespace: 'diary', access: 'write' }]);
    assert.equal(status.consentedVersion, '1.0.0');
    const entry = (await activity()).find((e) => e.type === 'application_enabled' && e.service === 'diary');
    assert.ok(entry, 'application_enabled is in the activity log');
    assert.equal(entry.redirectHost, 'diary.example.com');
    assert.match(entry.detail ?? '', /diary:write/);
  });

  it('gives an application token whose resource is the first redirect URL', async () => {
    const reply = await call('GET', `${APPS}/diary/access-token`);
    assert.equal(reply.status, 200);
    const { accessToken, userId } = reply.json();
    const claims = decodeJwt(accessToken);
    assert.equal(claims.accessScope, 'application');
    assert.equal(claims.application, 'diary');
    assert.equal(claims.applicationVersion, '1.0.0');
    assert.equal(claims.resource, 'https://diary.example.com/callback');
    assert.equal(claims.sub, userId);
    assert.equal(claims.iss, server.hatHost('alice'));
    assert.equal((await statusOf('diary')).lastUsedAt !== null, true, 'issuing a token counts as a use');
  });

  it('lets only the owner manage applications: application and validate tokens get 403, no token 401', async () => {
    const app = await appToken(server, 'alice', owner, 'diary');
    const validate = await validateToken(server, 'alice');
    for (const token of [app, validate]) {
      for (const [method, path] of [['GET', APPS], ['POST', `${APPS}/reader/setup`], ['POST', `${APPS}/diary/disable`], ['GET', `${APPS}/diary/access-token`]]) {
        assert.equal((await asApp(token, method!, path!)).status, 403, `${method} ${path}`);
      }
    }
    assert.equal((await server.call('alice', APPS)).status, 401);
    assert.equal((await statusOf('reader')).enabled, false, 'nothing was enabled by the refused calls');
  });

  it('answers 404 for an application that is not registered, on every method of setup and disable', async () => {
    for (const method of ['GET', 'POST']) {
      assert.equal((await call(method, `${APPS}/ghost/setup`)).status, 404);
      assert.equal((await call(method, `${APPS}/ghost/disable`)).status, 404);
      assert.equal((await call(method, `${APPS}/ghost`)).status, method === 'GET' ? 404 : 405);
    }
    assert.equal((await call('GET', `${APPS}/ghost/access-token`)).status, 404);
    assert.equal((await call('PUT', `${APPS}/diary/setup`)).status, 405);
  });

  it("keeps one HAT's consent to itself", async () => {
    const bob = await server.ownerToken('bob');
    const reply = await ownerCall(server, 'bob', bob, 'GET', APPS);
    assert.equal(reply.json().find((s: { application: { id: string } }) => s.application.id === 'diary').enabled, false);
    assert.equal((await ownerCall(server, 'bob', bob, 'GET', `${APPS}/diary/access-token`)).status, 403);
  });

  it('revokes on disabling: the very next request with its token is refused (401)', async () => {
    const token = await appToken(server, 'alice', owner, 'diary');
    assert.equal((await asApp(token, 'POST', '/api/v2.6/data/diary/days', { mood: 'fine' })).status, 201);
    const reply = await call('POST', `${APPS}/diary/disable`);
    assert.equal(reply.status, 200);
    assert.equal(reply.json().enabled, false);
    assert.equal(reply.json().setup, true);
    const refused = await asApp(token, 'GET', '/api/v2.6/data/diary/days');
    assert.equal(refused.status, 401);
    assert.match(refused.json().cause, /not enabled/);
    assert.equal((await call('GET', `${APPS}/diary/access-token`)).status, 403);
    assert.ok((await activity()).some((e) => e.type === 'application_disabled' && e.service === 'diary'));
  });

  it('does not bring old tokens back when the application is enabled again', async () => {
    const old = await (async () => {
      await enableApp(server, 'alice', owner, 'diary');
      const t = await appToken(server, 'alice', owner, 'diary');
      await call('POST', `${APPS}/diary/disable`);
      return t;
    })();
    await enableApp(server, 'alice', owner, 'diary');
    assert.equal((await asApp(old, 'GET', '/api/v2.6/data/diary/days')).status, 401);
    const fresh = await appToken(server, 'alice', owner, 'diary');
    assert.equal((await asApp(fresh, 'GET', '/api/v2.6/data/diary/days')).status, 200);
  });

  it('does not silently grant permissions that an application adds: the owner must consent again', async () => {
    const token = await appToken(server, 'alice', owner, 'diary');
    const grown = registrationFor('diary', [
      { namespace: 'diary', access: 'write' },
      { namespace: 'health', access: 'write' },
    ], { version: '1.1.0' });
    assert.equal((await admin(server, 'PUT', '/api/admin/applications/diary', grown)).status, 200);

    const status = await statusOf('diary');
    assert.deepEqual(
      { enabled: status.enabled, active: status.active, needsConsent: status.needsConsent, needsUpdating: status.needsUpdating },
      { enabled: true, active: false, needsConsent: true, needsUpdating: true },
    );
    assert.deepEqual(status.granted, [{ namespace: 'diary', access: 'write' }]);
    assert.deepEqual(status.newPermissions, [{ namespace: 'health', access: 'write' }]);
    const refusedToken = await call('GET', `${APPS}/diary/access-token`);
    assert.equal(refusedToken.status, 403);
    assert.match(refusedToken.json().cause, /health:write.*consent again/);

    // Meanwhile its tokens keep exactly what was consented to.
    assert.equal((await asApp(token, 'POST', '/api/v2.6/data/diary/days', { mood: 'ok' })).status, 201);
    assert.equal((await asApp(token, 'POST', '/api/v2.6/data/health/steps', { n: 1 })).status, 403);

    const consent = await call('POST', `${APPS}/diary/setup`);
    assert.equal(consent.status, 200);
    assert.equal(consent.json().active, true);
    assert.equal(consent.json().consentedVersion, '1.1.0');
    assert.equal((await asApp(token, 'POST', '/api/v2.6/data/health/steps', { n: 2 })).status, 201, 'the consent now covers health');
    assert.equal((await call('GET', `${APPS}/diary/access-token`)).status, 200);
  });

  it('takes away at once what an application no longer declares', async () => {
    const token = await appToken(server, 'alice', owner, 'diary');
    const shrunk = registrationFor('diary', [{ namespace: 'diary', access: 'read' }], { version: '1.2.0' });
    assert.equal((await admin(server, 'PUT', '/api/admin/applications/diary', shrunk)).status, 200);
    assert.equal((await asApp(token, 'POST', '/api/v2.6/data/diary/days', { mood: 'meh' })).status, 403);
    assert.equal((await asApp(token, 'POST', '/api/v2.6/data/health/steps', { n: 3 })).status, 403);
    assert.equal((await asApp(token, 'GET', '/api/v2.6/data/diary/days')).status, 200);
    const status = await statusOf('diary');
    assert.equal(status.active, true, 'less than consented needs no new consent');
    assert.deepEqual(status.granted, [{ namespace: 'diary', access: 'read' }]);
  });

  it("stops an application's tokens at once when it leaves the registry", async () => {
    await enableApp(server, 'alice', owner, 'reader');
    const token = await appToken(server, 'alice', owner, 'reader');
    assert.equal((await asApp(token, 'GET', '/api/v2.6/data/diary/days')).status, 200);
    const removed = await admin(server, 'DELETE', '/api/admin/applications/reader');
    assert.equal(removed.json().grantsRemoved, 1);
    assert.equal((await asApp(token, 'GET', '/api/v2.6/data/diary/days')).status, 401);
    assert.equal(await statusOf('reader'), undefined);
    // Registered again under the same id, it starts with no consent.
    await registerApp(server, 'reader', [{ namespace: 'diary', access: 'read' }]);
    assert.equal((await statusOf('reader')).setup, false);
    assert.equal((await asApp(token, 'GET', '/api/v2.6/data/diary/days')).status, 401);
  });
});
