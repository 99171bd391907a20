import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const BASE = '/api/admin/applications';

describe('the application registry on the cluster (SPEC 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.createHat('alice');
  });
  after(() => server.stop());

  describe('the admin token', () => {
    const attempts: Array<[string, Record<string, string>]> = [
      ['no Authorization header', {}],
      ['a wrong token', { authorization: 'Bearer not-the-admin-token' }],
      ['the right token with the Basic scheme', {}],
      ['an empty bearer', { authorization: 'Bearer ' }],
    ];
    for (const [what, headers] of attempts) {
      it(`refuses ${what} with 401 and a SPEC 3 body`, async () => {
        const sent = what.includes('Basic') ? { authorization: `Basic ${server.config.adminToken}` } : headers;
        for (const [method, path] of [['GET', BASE], ['POST', BASE], ['GET', `${BASE}/x1`], ['PUT', `${BASE}/x1`], ['DELETE', `${BASE}/x1`]] as const) {
          const reply = await server.call(null, path, { method, headers: sent, body: method === 'POST' || method === 'PUT' ? registrationFor('x1') : undefined });
          assert.equal(reply.status, 401, `${method} ${path}`);
          assert.match(reply.headers['www-authenticate'] ?? '', /^Bearer/);
          assert.equal(typeof reply.json().cause, 'string');
        }
      });
    }

    it('accepts the right token, and the scheme name in any case', async () => {
      const reply = await server.call(null, BASE, { headers: { authorization: `bearer ${server.config.adminToken}` } });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json(), []);
    });

    it('is not served on a HAT host', async () => {
      const reply = await server.call('alice', BASE, { headers: { authorization: `Bearer ${server.config.adminToken}` } });
      assert.equal(reply.status, 404);
    });
  });

  describe('registering, reading, replacing and removing', () => {
    it('registers an application (201) and returns it as stored', async () => {
      const reply = await admin(server, 'POST', BASE, registrationFor('notes', [{ namespace: 'notes', access: 'write' }]));
      assert.equal(reply.status, 201);
      const body = reply.json();
      assert.equal(body.id, 'notes');
      assert.deepEqual(body.permissions, [{ namespace: 'notes', access: 'write' }]);
      assert.deepEqual(body.redirectUris, ['https://notes.example.com/callback']);
      assert.match(body.createdAt, /^\d{4}-\d\d-\d\dT/);
    });

    it('lists and gets the registrations', async () => {
      const list = await admin(server, 'GET', BASE);
      assert.equal(list.status, 200);
      assert.deepEqual(list.json().map((a: { id: string }) => a.id), ['notes']);
      const one = await admin(server, 'GET', `${BASE}/notes`);
      assert.equal(one.status, 200);
      assert.equal(one.json().name, 'The notes application');
    });

    it('answers 404 for an unknown or malformed id', async () => {
      for (const id of ['nothing-here', 'NOTES', '..%2F..']) {
        const reply = await admin(server, 'GET', `${BASE}/${id}`);
        assert.equal(reply.status, 404, id);
        assert.match(reply.json().cause, /No application/);
      }
    });

    it('refuses a second registration with the same id (409) and keeps the first', async () => {
      const reply = await admin(server, 'POST', BASE, registrationFor('notes', [], { name: 'Impostor' }));
      assert.equal(reply.status, 409);
      assert.match(reply.json().cause, /already registered/);
      assert.equal((await admin(server, 'GET', `${BASE}/notes`)).json().name, 'The notes application');
    });

    it('fills in an empty description and homepage, and drops repeated URLs and permissions', async () => {
      const body = registrationFor('plain', [
        { namespace: 'a', access: 'read' },
        { namespace: 'a', access: 'read' },
      ]) as Record<string, unknown>;
      delete body.description;
      delete body.homepage;
      body.redirectUris = ['https://plain.example.com/cb', 'https://plain.example.com/cb'];
      const reply = await admin(server, 'POST', BASE, body);
      assert.equal(reply.status, 201);
      const created = reply.json();
      assert.equal(created.description, '');
      assert.equal(created.homepage, '');
      assert.deepEqual(created.redirectUris, ['https://plain.example.com/cb']);
      assert.deepEqual(created.permissions, [{ namespace: 'a', access: 'read' }]);
    });

    it('accepts plain http only for loopback redirect URLs', async () => {
      const uris = ['http://localhost:8080/cb', 'http://app.localhost/cb', 'http://127.0.0.1:9000/cb', 'http://[::1]:3000/cb', 'https://x.example.com/cb?keep=1'];
      const reply = await admin(server, 'POST', BASE, registrationFor('local-dev', [], { redirectUris: uris }));
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(reply.json().redirectUris, uris);
    });

    it('replaces a registration with PUT, keeping its creation date', async () => {
      const before = (await admin(server, 'GET', `${BASE}/notes`)).json();
      const { id: _id, ...withoutId } = registrationFor('notes', [{ namespace: 'notes', access: 'read' }], { version: '2.0.0' });
      const reply = await admin(server, 'PUT', `${BASE}/notes`, withoutId);
      assert.equal(reply.status, 200, reply.text);
      const after = (await admin(server, 'GET', `${BASE}/notes`)).json();
      assert.equal(after.version, '2.0.0');
      assert.deepEqual(after.permissions, [{ namespace: 'notes', access: 'read' }]);
      assert.equal(after.createdAt, before.createdAt);
    });

    it('refuses a PUT whose body names another id (400), or an unknown id (404)', async () => {
      const other = await admin(server, 'PUT', `${BASE}/notes`, registrationFor('other'));
      assert.equal(other.status, 400);
      assert.match(other.json().cause, /differs/);
      const unknown = await admin(server, 'PUT', `${BASE}/ghost`, registrationFor('ghost'));
      assert.equal(unknown.status, 404);
    });

    it('removes a registration (200), after which it is gone (404)', async () => {
      const reply = await admin(server, 'DELETE', `${BASE}/plain`);
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json(), { message: 'Application removed', id: 'plain', grantsRemoved: 0 });
      assert.equal((await admin(server, 'GET', `${BASE}/plain`)).status, 404);
      assert.equal((await admin(server, 'DELETE', `${BASE}/plain`)).status, 404);
    });

    it('answers 405 to a method the registry does not have', async () => {
      const reply = await admin(server, 'PATCH', `${BASE}/notes`, {});
      assert.equal(reply.status, 405);
    });
  });

  describe('bad registrations are refused with 400, naming the field, and nothing is stored', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an id with capitals', { id: 'Notes' }, /^id /],
      ['an id with an underscore', { id: 'my_app' }, /^id /],
      ['a one-character id', { id: 'a' }, /^id /],
      ['an id starting with a hyphen', { id: '-app' }, /^id /],
      ['an id of 64 characters', { id: 'a'.repeat(64) }, /^id /],
      ['no id', { id: undefined }, /^id is required/],
      ['a number as id', { id: 42 }, /^id: .*expected string/],
      ['an empty name', { name: '   ' }, /^name must not be empty/],
      ['a name with a control character', { name: 'bad\u0007name' }, /^name /],
      ['no version', { version: undefined }, /^version is required/],
      ['a version with a space', { version: '1.0 beta' }, /^version /],
      ['no redirect URLs', { redirectUris: [] }, /^redirectUris must list at least one/],
      ['redirect URLs that are not a list', { redirectUris: 'https://x.example.com/' }, /^redirectUris: .*expected array/],
      ['a relative redirect URL', { redirectUris: ['/callback'] }, /^redirectUris\[0\] must be an absolute/],
      ['a plain-http redirect URL to a public host', { redirectUris: ['https://ok.example.com/', 'http://example.com/cb'] }, /^redirectUris\[1\] must use https/],
      ['a redirect URL with a fragment', { redirectUris: ['https://x.example.com/cb#frag'] }, /^redirectUris\[0\] must not contain a fragment/],
      ['a redirect URL with a user name', { redirectUris: ['https://user:pw@x.example.com/cb'] }, /^redirectUris\[0\] must not contain a user/],
      ['a javascript: redirect URL', { redirectUris: ['javascript:alert(1)'] }, /^redirectUris\[0\] /],
      ['a redirect URL with a space', { redirectUris: ['https://x.example.com/a b'] }, /^redirectUris\[0\] must not contain spaces/],
      ['a redirect URL longer than 2048 characters', { redirectUris: [`https://x.example.com/${'a'.repeat(2048)}`] }, /^redirectUris\[0\] must be at most 2048/],
      ['a homepage that is not a URL', { homepage: 'my site' }, /^homepage /],
      ['an unknown access level', { permissions: [{ namespace: 'notes', access: 'admin' }] }, /^permissions\[0\]\.access must be "read" or "write"/],
      ['a namespace with capitals', { permissions: [{ namespace: 'Notes', access: 'read' }] }, /^permissions\[0\]\.namespace /],
      ['a namespace that looks like an operator', { permissions: [{ namespace: '$where', access: 'read' }] }, /^permissions\[0\]\.namespace /],
      ['a namespace with a dot', { permissions: [{ namespace: 'a.b', access: 'read' }] }, /^permissions\[0\]\.namespace /],
      ['a permission without access', { permissions: [{ namespace: 'notes' }] }, /^permissions\[0\]\.access is required/],
      ['a permission with an extra field', { permissions: [{ namespace: 'notes', access: 'read', scope: 'all' }] }, /^Unknown field "permissions\[0\]\.scope"; the fields are namespace and access/],
      ['no permissions list', { permissions: undefined }, /^permissions is required/],
      ['a misspelt field', { redirectURIs: ['https://x.example.com/'] }, /^Unknown field "redirectURIs"; the fields are id, name/],
    ];
    for (const [what, change, cause] of cases) {
      it(`refuses ${what}`, async () => {
        const body: Record<string, unknown> = { ...registrationFor('bad-app'), ...change };
        for (const [k, v] of Object.entries(change)) if (v === undefined) delete body[k];
        const reply = await admin(server, 'POST', BASE, body);
        assert.equal(reply.status, 400, reply.text);
        assert.equal(reply.json().message, 'Invalid application');
        assert.match(reply.json().cause, cause);
        const listed = (await admin(server, 'GET', BASE)).json().map((a: { id: string }) => a.id);
        assert.ok(!listed.includes(String(body.id)), 'nothing was registered');
      });
    }

    it('refuses a body that is not an object, not JSON, or not sent as JSON', async () => {
      assert.equal((await admin(server, 'POST', BASE, [registrationFor('bad-app')])).status, 400);
      const notJson = await server.call(null, BASE, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.config.adminToken}`, 'content-type': 'application/json' },
        body: '{"id": ',
      });
      assert.equal(notJson.status, 400);
      const form = await server.call(null, BASE, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.config.adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'id=bad-app',
      });
      assert.equal(form.status, 415);
    });
  });
});
