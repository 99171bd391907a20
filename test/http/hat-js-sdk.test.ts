import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HatClient } from '@dataswift/hat-js';
import { admin, appToken, ownerCall } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { resolveLocalhostInFetch } from '../support/localhost-fetch.js';
import { notablesManifest } from '../support/manifests.js';
import { startTestServer, type TestServer } from '../support/server.js';

/*
 * The official HAT JavaScript SDK (@dataswift/hat-js 0.5), unmodified, against a real server
 * over HTTP (SPEC 5, 8): what websites and apps written for the original HAT do.
 */

interface SdkRecord {
  endpoint: string;
  recordId: string;
  data: Record<string, unknown>;
}

/** The SDK's answer body (`parsedBody`), typed for the test. */
const body = <T>(reply: { parsedBody?: unknown }): T => reply.parsedBody as T;

/** The HTTP status of a refusal: the SDK rejects with a HatCustomError carrying it. */
async function refusedWith(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    assert.equal((err as { cause?: string }).cause, 'HAT_API_EXCEPTION', String(err));
    return (err as { status: number }).status;
  }
  assert.fail('the SDK call was not refused');
}

describe('the HAT JavaScript SDK against this server', () => {
  let server: TestServer;
  let restoreFetch: () => Promise<void>;
  let owner: HatClient;
  let ownerToken: string;

  const client = (token: string) => new HatClient({ token, apiVersion: 'v2.6', secure: false });

  before(async () => {
    restoreFetch = await resolveLocalhostInFetch();
    server = await startTestServer();
    ownerToken = (await server.createHat('alice')).token;
    await server.createHat('bob');
    const notables = await admin(server, 'POST', '/api/admin/applications', notablesManifest());
    assert.equal(notables.status, 201, notables.text);
    const plug = registrationFor('fitbit-plug', [{ namespace: 'fitbit', access: 'write' }], { kind: 'DataPlug' });
    assert.equal((await admin(server, 'POST', '/api/admin/applications', plug)).status, 201);
    owner = client(ownerToken);
  });
  after(async () => {
    await server.stop();
    await restoreFetch();
  });

  it("takes the HAT's address from the token's issuer, and finds the HAT registered", async () => {
    assert.equal(owner.auth().getHatDomain(), `http://${server.hatHost('alice')}`);
    assert.equal(await owner.auth().isDomainRegistered(server.hatHost('alice')), true);
    assert.equal(await owner.auth().isDomainRegistered(server.hatHost('nobody')), false);
  });

  it('lists the applications, and getAppStatus reads each status', async () => {
    const list = body<any[]>(await owner.applications().getAllDefault());
    assert.deepEqual(list.map((s) => s.application.id), ['fitbit-plug', 'notables']);
    for (const status of list) assert.equal(owner.applications().getAppStatus(status), 'untouched');
  });

  it('getById answers one status; setting the application up turns it to "goto" (an App) or "fetching" (a DataPlug)', async () => {
    const before = body<any>(await owner.applications().getById('notables'));
    assert.equal(before.application.info.name, 'Notables');
    assert.equal(owner.applications().getAppStatus(before), 'untouched');
    for (const id of ['notables', 'fitbit-plug']) {
      assert.equal((await ownerCall(server, 'alice', ownerToken, 'GET', `/api/v2.6/applications/${id}/setup`)).status, 200);
    }
    assert.equal(owner.applications().getAppStatus(body(await owner.applications().getById('notables'))), 'goto');
    assert.equal(owner.applications().getAppStatus(body(await owner.applications().getById('fitbit-plug'))), 'fetching');
    assert.equal(await refusedWith(owner.applications().getById('ghost')), 404);
  });

  it("a DataPlug turns from 'fetching' to 'running' once its manifest's data endpoint has a record (mostRecentData)", async () => {
    const plug = notablesManifest({ id: 'sleep-plug', kind: { kind: 'DataPlug', url: 'https://plug.example.com/' } });
    plug.status.recentDataCheckEndpoint = '/sleep/nights';
    assert.equal((await admin(server, 'POST', '/api/admin/applications', plug)).status, 201);
    assert.equal((await ownerCall(server, 'alice', ownerToken, 'GET', '/api/v2.6/applications/sleep-plug/setup')).status, 200);
    const before = body<any>(await owner.applications().getById('sleep-plug'));
    assert.equal(before.mostRecentData, undefined);
    assert.equal(owner.applications().getAppStatus(before), 'fetching');
    const record = await owner.hatData().create('sleep', 'nights', { hours: 8 });
    const after = body<any>(await owner.applications().getById('sleep-plug'));
    assert.equal(owner.applications().getAppStatus(after), 'running');
    assert.ok(Date.parse(after.mostRecentData) <= Date.now() && record);
    assert.equal((await admin(server, 'DELETE', '/api/admin/applications/sleep-plug')).status, 200);
  });

  it('getSetupUrl builds the HAT login URL of an application with a set-up URL, and refuses one without', async () => {
    const reply = await admin(server, 'PUT', '/api/admin/applications/notables', {
      ...notablesManifest(),
      setup: { ...notablesManifest().setup, url: 'https://notables.example.com/setup' },
    });
    assert.equal(reply.status, 200, reply.text);
    const status = body<any>(await owner.applications().getById('notables'));
    const url = owner.applications().getSetupUrl(status, 'https://notables.example.com/done', 'https://notables.example.com/failed');
    assert.equal(
      url,
      `http://${server.hatHost('alice')}/#/hatlogin?name=notables&fallback=https://notables.example.com/failed` +
        '&redirect=https://notables.example.com/setup%3Fredirect=https://notables.example.com/done',
    );
    const plug = body<any>(await owner.applications().getById('fitbit-plug'));
    assert.throws(() => owner.applications().getSetupUrl(plug, 'x', 'y'), /APPLICATION_NOT_SUPPORTED/);
  });

  it('creates one record (one object back) and many (an array back), and reads them with ordering', async () => {
    const data = owner.hatData();
    const one = body<SdkRecord>(await data.create('rumpel', 'notes', { title: 'b', rank: 2 }));
    assert.equal(Array.isArray(one), false);
    assert.equal(one.endpoint, 'rumpel/notes');
    assert.deepEqual(one.data, { title: 'b', rank: 2 });
    const many = body<SdkRecord[]>(await data.create('rumpel', 'notes', [{ title: 'c', rank: 3 }, { title: 'a', rank: 1 }]));
    assert.equal(many.length, 2);
    const byRank = body<SdkRecord[]>(await data.getAll('rumpel', 'notes', { orderBy: 'rank', ordering: 'descending', take: '2' }));
    assert.deepEqual(byRank.map((r) => r.data.title), ['c', 'b']);
    const all = body<SdkRecord[]>(await data.getAllDefault('rumpel', 'notes'));
    assert.deepEqual(all.map((r) => r.data.title), ['b', 'c', 'a'], 'oldest first by default');
  });

  it('updates records (PUT /data) and deletes them by id', async () => {
    const data = owner.hatData();
    const [first, second] = body<SdkRecord[]>(await data.getAllDefault('rumpel', 'notes'));
    const updated = body<SdkRecord[]>(
      await data.update([
        { ...first!, data: { title: 'b2', rank: 20 } },
        { ...second!, data: { title: 'c2', rank: 30 } },
      ]),
    );
    assert.deepEqual(updated.map((r) => [r.recordId, r.data.title]), [
      [first!.recordId, 'b2'],
      [second!.recordId, 'c2'],
    ]);
    const after = body<SdkRecord[]>(await data.getAllDefault('rumpel', 'notes'));
    assert.deepEqual(after.map((r) => r.data.title), ['b2', 'c2', 'a']);
    await data.delete([first!.recordId, second!.recordId]);
    assert.deepEqual(body<SdkRecord[]>(await data.getAllDefault('rumpel', 'notes')).map((r) => r.data.title), ['a']);
  });

  it('refuses an update of a record that is not there (404), changing nothing', async () => {
    const data = owner.hatData();
    const [kept] = body<SdkRecord[]>(await data.getAllDefault('rumpel', 'notes'));
    const ghost = { endpoint: 'rumpel/notes', recordId: '00000000-0000-4000-8000-000000000000', data: {} };
    assert.equal(await refusedWith(data.update([{ ...kept!, data: { title: 'changed' } }, ghost])), 404);
    assert.deepEqual(body<SdkRecord[]>(await data.getAllDefault('rumpel', 'notes'))[0]!.data, kept!.data);
  });

  describe('with an application token', () => {
    let app: HatClient;

    before(async () => {
      app = client(await appToken(server, 'alice', ownerToken, 'notables'));
    });

    it('writes and reads the namespace it was granted, and updates its records', async () => {
      const data = app.hatData();
      const created = body<SdkRecord>(await data.create('rumpel', 'notablesv1', { message: 'hello' }));
      assert.equal(created.endpoint, 'rumpel/notablesv1');
      const read = body<SdkRecord[]>(await data.getAll('rumpel', 'notablesv1', { ordering: 'descending' }));
      assert.equal(read[0]!.recordId, created.recordId);
      const [updated] = body<SdkRecord[]>(await data.update([{ ...created, data: { message: 'edited' } }]));
      assert.deepEqual(updated!.data, { message: 'edited' });
      await data.delete([created.recordId]);
    });

    it('is refused what it was not granted: other namespaces (403), the application list (403)', async () => {
      const data = app.hatData();
      assert.equal(await refusedWith(data.create('fitbit', 'sleep', { hours: 8 })), 403);
      assert.equal(await refusedWith(data.getAllDefault('fitbit', 'sleep')), 403);
      const foreign = body<SdkRecord>(await owner.hatData().create('fitbit', 'sleep', { hours: 7 }));
      assert.equal(await refusedWith(data.update([{ ...foreign, data: { hours: 12 } }])), 403);
      assert.equal(await refusedWith(data.update([{ ...foreign, endpoint: 'rumpel/notablesv1', data: { hours: 12 } }])), 403);
      assert.equal(await refusedWith(data.delete([foreign.recordId])), 403);
      assert.equal(await refusedWith(app.applications().getAllDefault()), 403);
      assert.deepEqual(body<SdkRecord[]>(await owner.hatData().getAllDefault('fitbit', 'sleep'))[0]!.data, { hours: 7 });
    });

    it("is refused once the owner disables the application (401)", async () => {
      assert.equal((await ownerCall(server, 'alice', ownerToken, 'GET', '/api/v2.6/applications/notables/disable')).status, 200);
      assert.equal(await refusedWith(app.hatData().getAllDefault('rumpel', 'notablesv1')), 401);
    });
  });

  it("cannot reach another HAT's records with its token (401)", async () => {
    const bob = client(await server.ownerToken('bob'));
    const mine = body<SdkRecord[]>(await owner.hatData().getAllDefault('rumpel', 'notes'));
    // The SDK sends to the token's own HAT: bob's token at alice's address is another HAT's token.
    const hatDomain = `http://${server.hatHost('alice')}`;
    const reply = await fetch(`${hatDomain}/api/v2.6/data`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': bob.auth().getToken() ?? '' },
      body: JSON.stringify([{ ...mine[0], data: {} }]),
    });
    assert.equal(reply.status, 401);
    assert.equal(await refusedWith(bob.hatData().update([{ ...mine[0]!, data: {} }])), 404, "on bob's own HAT the record is not found");
  });
});
