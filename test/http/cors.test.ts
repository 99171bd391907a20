import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/*
 * Cross-origin calls (what the HAT SDK does inside another website): the token API answers them,
 * password logins and pages do not.
 */

const ORIGIN = 'https://notables.example.com';

describe('cross-origin calls to the token API', () => {
  let server: TestServer;
  let owner: string;

  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('alice')).token;
  });
  after(() => server.stop());

  it('answers a preflight for the data API with what the SDK sends, without credentials', async () => {
    const reply = await server.call('alice', '/api/v2.6/data', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-auth-token' },
    });
    assert.equal(reply.status, 204);
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.match(String(reply.headers['access-control-allow-methods']), /PUT/);
    assert.match(String(reply.headers['access-control-allow-headers']), /X-Auth-Token/);
    assert.equal(reply.headers['access-control-allow-credentials'], undefined);
  });

  it('lets another origin read answers, refusals included, and the public key', async () => {
    for (const [path, token, status] of [
      ['/api/v2.6/data/notes/x', owner, 200],
      ['/api/v2.6/data/notes/x', 'not-a-token', 401],
      ['/api/v2.6/applications', owner, 200],
      ['/users/access_token/validate', owner, 200],
      ['/publickey', '', 200],
      ['/.well-known/jwks.json', '', 200],
    ] as const) {
      const reply = await server.call('alice', path, { headers: { origin: ORIGIN, ...(token ? { 'x-auth-token': token } : {}) } });
      assert.equal(reply.status, status, path);
      assert.equal(reply.headers['access-control-allow-origin'], '*', path);
    }
  });

  it('does not open password logins, the legacy query credentials, pages or the cluster', async () => {
    const login = await server.call('alice', '/users/access_token', {
      headers: { origin: ORIGIN, username: 'alice', password: encodeURIComponent(STRONG_PASSWORD) },
    });
    assert.equal(login.status, 200);
    const query = await server.call('alice', `/api/v2.6/data/notes/x?username=alice&pass=${encodeURIComponent(STRONG_PASSWORD)}`, {
      headers: { origin: ORIGIN },
    });
    const page = await server.call('alice', '/', { headers: { origin: ORIGIN } });
    const cluster = await server.call(null, '/api/signup', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    for (const reply of [login, query, page, cluster]) assert.equal(reply.headers['access-control-allow-origin'], undefined);
  });
});
