import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { admin, appToken, enableApp, registerApp, validateToken } from '../support/apps.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { FormClient } from '../support/forms.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** The operator's HAT administration over HTTP (SPEC 9): /api/admin/hats. */
describe('/api/admin/hats (SPEC 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await registerApp(server, 'notes-app', [{ namespace: 'notes', access: 'write' }]);
  });
  after(() => server.stop());

  const validate = (hat: string, token: string) => server.call(hat, '/users/access_token/validate', { headers: { 'X-Auth-Token': token } });
  const login = (hat: string) =>
    server.call(hat, '/users/access_token', { headers: { username: hat, password: encodeURIComponent(STRONG_PASSWORD) } });

  it('needs the admin bearer on every endpoint', async () => {
    await server.createHat('guarded');
    for (const [method, path] of [
      ['GET', '/api/admin/hats'],
      ['GET', '/api/admin/hats/guarded'],
      ['POST', '/api/admin/hats/guarded/disable'],
      ['POST', '/api/admin/hats/guarded/enable'],
      ['POST', '/api/admin/hats/guarded/keys/rotate'],
      ['DELETE', '/api/admin/hats/guarded'],
    ] as const) {
      const reply = await server.call(null, path, { method, headers: { authorization: 'Bearer wrong' } });
      assert.equal(reply.status, 401, `${method} ${path}`);
      assert.deepEqual(Object.keys(reply.json()), ['message', 'cause']);
    }
    assert.equal((await server.call('guarded', '/api/admin/hats', { headers: { authorization: `Bearer ${server.config.adminToken}` } })).status, 404, 'not on a HAT host');
  });

  it('GET lists HATs with name, created, disabled, key ids and counts; GET /<name> shows one', async () => {
    const { token } = await server.createHat('listed');
    await server.call('listed', '/api/v2.6/data/notes/main', { method: 'POST', headers: { 'x-auth-token': token }, body: [{ a: 1 }, { a: 2 }] });
    const list = await admin(server, 'GET', '/api/admin/hats');
    assert.equal(list.status, 200, list.text);
    const listed = list.json<Array<Record<string, unknown>>>().find((h) => h.name === 'listed');
    assert.ok(listed);
    assert.deepEqual(Object.keys(listed).sort(), ['counts', 'created', 'disabled', 'keyIds', 'name']);
    assert.equal(listed.disabled, false);
    assert.deepEqual(listed.keyIds, [decodeProtectedHeader(token).kid]);
    assert.ok(!Number.isNaN(Date.parse(String(listed.created))));
    const shown = await admin(server, 'GET', '/api/admin/hats/Listed');
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.json<{ counts: Record<string, number> }>().counts.records, 2);
    const paged = await admin(server, 'GET', '/api/admin/hats?skip=0&take=1');
    assert.equal(paged.json<unknown[]>().length, 1);
    assert.equal((await admin(server, 'GET', '/api/admin/hats?take=0')).status, 400);
    assert.equal((await admin(server, 'GET', '/api/admin/hats?skip=-1')).status, 400);
  });

  it('an unknown HAT is 404 on every endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/api/admin/hats/nobody'],
      ['POST', '/api/admin/hats/nobody/disable'],
      ['POST', '/api/admin/hats/nobody/enable'],
      ['POST', '/api/admin/hats/nobody/keys/rotate'],
      ['DELETE', '/api/admin/hats/nobody'],
    ] as const) {
      const reply = await admin(server, method, path);
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.match(reply.json<{ cause: string }>().cause, /no HAT named "nobody"/);
    }
  });

  it('disable refuses every token and session at once and says so at login, with no password check or throttle count', async () => {
    const { token } = await server.createHat('dimmed');
    await enableApp(server, 'dimmed', token, 'notes-app');
    const application = await appToken(server, 'dimmed', token, 'notes-app');
    const service = await validateToken(server, 'dimmed');
    const browser = new FormClient(server, 'dimmed');
    await browser.get('/');
    assert.equal((await browser.post('/login', { password: STRONG_PASSWORD })).status, 303);
    assert.match((await browser.get('/')).text, /action="\/logout"/);

    const reply = await admin(server, 'POST', '/api/admin/hats/dimmed/disable');
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json<{ disabled: boolean }>().disabled, true);
    for (const t of [token, application, service]) assert.equal((await validate('dimmed', t)).status, 401);
    assert.equal((await server.call('dimmed', '/api/v2.6/data/notes/main', { headers: { 'x-auth-token': application } })).status, 401);
    const page = await browser.get('/');
    assert.match(page.text, /disabled by the operator/, 'the dashboard session ended; the login page says why');
    assert.doesNotMatch(page.text, /type="password"/);

    const refused = await login('dimmed');
    assert.equal(refused.status, 403);
    assert.match(refused.json<{ cause: string }>().cause, /disabled/);
    // Many attempts, even with wrong passwords: no throttle (429), no failed-login entries.
    for (let i = 0; i < 12; i++) {
      const r = await server.call('dimmed', '/users/access_token', { headers: { username: 'dimmed', password: 'wrong' } });
      assert.equal(r.status, 403);
    }
    const { entries } = await server.services.activity.page('dimmed', 1, 50);
    assert.equal(entries.filter((e) => e.type === 'login_failed' || e.type === 'login_throttled').length, 0);
    assert.ok(entries.some((e) => e.type === 'owner_disabled' && e.via === 'operator'));
    const hatlogin = await server.call('dimmed', '/hatlogin?name=Shop&redirect=https%3A%2F%2Fshop.example.com%2Fdone', { headers: { accept: 'text/html' } });
    assert.match(hatlogin.text, /disabled by the operator/);

    const enabled = await admin(server, 'POST', '/api/admin/hats/dimmed/enable');
    assert.equal(enabled.status, 200);
    assert.equal(enabled.json<{ disabled: boolean }>().disabled, false);
    assert.equal((await login('dimmed')).status, 200);
    assert.equal((await validate('dimmed', token)).status, 200, 'its tokens work again once enabled');
    assert.ok((await server.services.activity.page('dimmed', 1, 50)).entries.some((e) => e.type === 'owner_enabled' && e.via === 'operator'));
  });

  it('DELETE removes the HAT with all it holds; the name stays reserved for sign-up', async () => {
    const { token } = await server.createHat('goner');
    await server.call('goner', '/api/v2.6/data/notes/main', { method: 'POST', headers: { 'x-auth-token': token }, body: { a: 1 } });
    const reply = await admin(server, 'DELETE', '/api/admin/hats/goner');
    assert.equal(reply.status, 200, reply.text);
    const { reservedUntil } = reply.json<{ reservedUntil: string }>();
    const days = (Date.parse(reservedUntil) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `reserved for 30 days (${days})`);
    assert.equal((await admin(server, 'GET', '/api/admin/hats/goner')).status, 404);
    assert.equal((await validate('goner', token)).status, 404, 'the HAT host is gone');
    assert.equal((await server.call('goner', '/publickey')).status, 404);
    const store = openSqliteStore(server.dataDir);
    try {
      assert.deepEqual(await store.hatAdmin.counts('goner'), { records: 0, grants: 0, approvals: 0, sessions: 0, activity: 0 });
      assert.deepEqual(await store.keys.list('goner'), []);
    } finally {
      await store.close();
    }
    const again = await server.call(null, '/api/signup', {
      method: 'POST',
      body: { username: 'goner', email: 'someone-else@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD },
    });
    assert.equal(again.status, 409);
    assert.equal((await admin(server, 'DELETE', '/api/admin/hats/goner')).status, 404);
  });

  it('a deletion racing logins: every answer is before (200, 429) or after (404) it, never a 500', async () => {
    for (const name of ['racing', 'racer', 'racecar']) {
      await server.createHat(name);
      const logins = Array.from({ length: 12 }, () => login(name));
      const [deleted, ...replies] = await Promise.all([admin(server, 'DELETE', `/api/admin/hats/${name}`), ...logins]);
      assert.equal(deleted.status, 200);
      // (429: the login throttle counts these many attempts from one address, before the deletion.)
      for (const r of replies) assert.ok([200, 404, 429].includes(r.status), `${r.status} ${r.text}`);
    }
  });
});
