import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { ApplicationRecord } from '../../src/store/ports.js';
import { admin, ownerCall } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { notablesManifest } from '../support/manifests.js';
import { startTestServer, type TestServer } from '../support/server.js';

const REGISTRY = '/api/admin/applications';
const APPS = '/api/v2.6/applications';

describe('HAT manifests in the registry and on the HAT (SPEC 5, 9)', () => {
  let server: TestServer;
  let owner: string;

  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('alice')).token;
  });
  after(() => server.stop());

  it('registers a HAT manifest as it stands, and shows it back with the fields we do not use', async () => {
    const created = await admin(server, 'POST', REGISTRY, notablesManifest());
    assert.equal(created.status, 201, created.text);
    const body = created.json();
    assert.equal(body.id, 'notables');
    assert.deepEqual(body.permissions, [
      { namespace: 'rumpel', access: 'write' },
      { namespace: 'rumpel', access: 'read' },
    ]);
    assert.deepEqual(body.manifest, notablesManifest());
    assert.deepEqual((await admin(server, 'GET', `${REGISTRY}/notables`)).json().manifest, notablesManifest());
  });

  it('takes a compact registration too, and shows it as a manifest', async () => {
    const created = await admin(server, 'POST', REGISTRY, registrationFor('diary', [{ namespace: 'diary', access: 'write' }]));
    assert.equal(created.status, 201);
    const { manifest } = created.json();
    assert.deepEqual(manifest.permissions, { rolesGranted: [{ role: 'namespacewrite', detail: 'diary' }] });
    assert.deepEqual(manifest.setup.validRedirectUris, ['https://diary.example.com/callback']);
    const listed = (await admin(server, 'GET', REGISTRY)).json();
    assert.deepEqual(listed.map((a: { id: string }) => a.id), ['diary', 'notables']);
    assert.ok(listed.every((a: { manifest?: unknown }) => a.manifest));
  });

  it('replaces a compact registration with a manifest (PUT), keeping the id', async () => {
    const manifest = notablesManifest({ id: 'diary' });
    const replaced = await admin(server, 'PUT', `${REGISTRY}/diary`, manifest);
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.json().name, 'Notables');
    await admin(server, 'PUT', `${REGISTRY}/diary`, registrationFor('diary', [{ namespace: 'diary', access: 'write' }]));
  });

  it('refuses a bad manifest with 400 naming the field, and stores nothing', async () => {
    const bad = notablesManifest({ id: 'broken' });
    bad.info.graphics.logo.normal = 'data:image/svg+xml,<svg/>';
    const reply = await admin(server, 'POST', REGISTRY, bad);
    assert.equal(reply.status, 400);
    assert.equal(reply.json().message, 'Invalid application');
    assert.match(reply.json().cause, /^info\.graphics\.logo\.normal must be an https URL/);
    assert.equal((await admin(server, 'GET', `${REGISTRY}/broken`)).status, 404);
  });

  it("serves the manifest at /hmi to anyone, without a token; 404 for an unknown id", async () => {
    const reply = await server.call('alice', `${APPS}/notables/hmi`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), notablesManifest());
    const missing = await server.call('alice', `${APPS}/ghost/hmi`);
    assert.equal(missing.status, 404);
    assert.match(missing.json().cause, /ghost/);
  });

  it("answers the owner with the original status objects, the application as its manifest", async () => {
    const status = (await ownerCall(server, 'alice', owner, 'GET', `${APPS}/notables`)).json();
    assert.deepEqual(status.application, notablesManifest());
    assert.deepEqual(
      { setup: status.setup, enabled: status.enabled, active: status.active, needsUpdating: status.needsUpdating },
      { setup: false, enabled: false, active: false, needsUpdating: false },
    );
  });

  it('enables with GET /setup and disables with GET /disable, as the original HAT did', async () => {
    const setup = await ownerCall(server, 'alice', owner, 'GET', `${APPS}/notables/setup`);
    assert.equal(setup.status, 200);
    assert.equal(setup.json().enabled, true);
    assert.equal(setup.json().application.id, 'notables');
    const disabled = await ownerCall(server, 'alice', owner, 'GET', `${APPS}/notables/disable`);
    assert.equal(disabled.status, 200);
    assert.deepEqual([disabled.json().setup, disabled.json().enabled], [true, false]);
    assert.equal((await server.call('alice', `${APPS}/notables/setup`)).status, 401, 'not without a token');
  });
});

describe('registrations stored by the earlier version', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hat-legacy-'));
  let server: TestServer;

  before(async () => {
    // Written as the previous version stored them: the compact fields only.
    const store = openSqliteStore(dir);
    const legacy = {
      id: 'legacy',
      name: 'Legacy',
      description: 'Registered before manifests',
      homepage: 'https://legacy.example.com',
      version: '1.0.0',
      redirectUris: ['https://legacy.example.com/cb'],
      permissions: [{ namespace: 'legacy', access: 'read' }],
      createdAt: new Date(0),
    };
    await store.applications.create(legacy as unknown as ApplicationRecord);
    await store.close();
    server = await startTestServer({ DATA_DIR: dir });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are migrated at start-up and keep working', async () => {
    const reader = openSqliteStore(dir);
    const stored = await reader.applications.get('legacy');
    await reader.close();
    assert.equal(stored?.kind, 'App', 'the stored record was rewritten in the current model');
    assert.equal(stored?.source, null);
    const owner = (await server.createHat('carol')).token;
    const status = (await ownerCall(server, 'carol', owner, 'GET', `${APPS}/legacy`)).json();
    assert.deepEqual(status.application.permissions.rolesGranted, [{ role: 'namespaceread', detail: 'legacy' }]);
    assert.equal((await ownerCall(server, 'carol', owner, 'POST', `${APPS}/legacy/setup`)).status, 200);
  });
});
