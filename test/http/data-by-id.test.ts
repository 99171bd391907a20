import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { appToken, enableApp, ownerCall, registerApp } from '../support/apps.js';
import { startTestServer, type TestServer } from '../support/server.js';

/*
 * SPEC 8's operations on records by id and across endpoints: PUT /data, POST /data-batch and
 * GET /data-record/<id>. Each is all or nothing; what is refused changes nothing.
 */

const DATA = '/api/v2.6/data';
const BATCH = '/api/v2.6/data-batch';
const RECORD = '/api/v2.6/data-record';

interface Rec {
  endpoint: string;
  recordId: string;
  data: Record<string, unknown>;
}

describe('records by id and across endpoints (SPEC 8)', () => {
  let server: TestServer;
  let owner: string;
  let bob: string;
  const call = (method: string, path: string, body?: unknown) => ownerCall(server, 'alice', owner, method, path, body);
  const as = (token: string, method: string, path: string, body?: unknown) => ownerCall(server, 'alice', token, method, path, body);
  const read = async (endpoint: string): Promise<Rec[]> => (await call('GET', `${DATA}/${endpoint}`)).json();
  const make = async (endpoint: string, data: Record<string, unknown>): Promise<Rec> => (await call('POST', `${DATA}/${endpoint}`, data)).json();

  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('alice')).token;
    bob = (await server.createHat('bob')).token;
    await registerApp(server, 'notes-app', [
      { namespace: 'notes', access: 'write' },
      { namespace: 'profile', access: 'read' },
    ]);
    await enableApp(server, 'alice', owner, 'notes-app');
  });
  after(() => server.stop());

  describe('PUT /data', () => {
    it('replaces the data of each record, keeping its id and endpoint (201, the records)', async () => {
      const a = await make('notes/put', { v: 1 });
      const b = await make('notes/put', { v: 2 });
      const reply = await call('PUT', DATA, [
        { ...a, data: { v: 10 } },
        { recordId: b.recordId, data: { v: 20 } },
      ]);
      assert.equal(reply.status, 201);
      assert.deepEqual(reply.json(), [
        { ...a, data: { v: 10 } },
        { ...b, data: { v: 20 } },
      ]);
      assert.deepEqual(await read('notes/put'), reply.json(), 'stored, in the original order');
    });

    it('answers one object for one object sent', async () => {
      const a = await make('notes/put-one', { v: 1 });
      const reply = await call('PUT', DATA, { ...a, data: { v: 2 } });
      assert.equal(reply.status, 201);
      assert.deepEqual(reply.json(), { ...a, data: { v: 2 } });
    });

    it("answers 404 naming an unknown record, or another HAT's, and changes nothing", async () => {
      const mine = await make('notes/put-404', { v: 1 });
      const bobs = (await server.call('bob', `${DATA}/notes/x`, { method: 'POST', headers: { 'x-auth-token': bob }, body: { secret: 1 } })).json();
      for (const other of [randomUUID(), bobs.recordId]) {
        const reply = await call('PUT', DATA, [
          { ...mine, data: { v: 2 } },
          { endpoint: 'notes/x', recordId: other, data: { stolen: true } },
        ]);
        assert.equal(reply.status, 404);
        assert.equal(reply.json().message, 'Data Missing');
        assert.match(reply.json().cause, new RegExp(`No record ${other} on this HAT; nothing was changed`));
      }
      assert.deepEqual(await read('notes/put-404'), [mine]);
      const still = await server.call('bob', `${DATA}/notes/x`, { headers: { 'x-auth-token': bob } });
      assert.deepEqual(still.json()[0].data, { secret: 1 });
    });

    it('lets an application change only records in namespaces it may write, as stored and as given (403)', async () => {
      const app = await appToken(server, 'alice', owner, 'notes-app');
      const note = await make('notes/by-app', { v: 1 });
      const profile = await make('profile/card', { name: 'Alice' });
      assert.equal((await as(app, 'PUT', DATA, [{ ...note, data: { v: 2 } }])).status, 201);
      const stored = await as(app, 'PUT', DATA, [{ ...profile, endpoint: 'notes/by-app', data: { name: 'Mallory' } }]);
      assert.equal(stored.status, 403);
      assert.match(stored.json().cause, /"profile"; nothing was changed/);
      const given = await as(app, 'PUT', DATA, [{ ...note, endpoint: 'profile/card', data: { v: 3 } }]);
      assert.equal(given.status, 403);
      assert.deepEqual((await read('profile/card'))[0]!.data, { name: 'Alice' });
      assert.deepEqual((await read('notes/by-app'))[0]!.data, { v: 2 });
    });

    for (const [what, body, field] of [
      ['a body that is not records', [1], 'body[0]'],
      ['a malformed record id', [{ recordId: 'nope', data: {} }], 'body[0].recordId'],
      ['no record id', [{ data: {} }], 'body[0].recordId'],
      ['no data', [{ recordId: randomUUID() }], 'body[0].data'],
      ['an endpoint without a namespace', [{ recordId: randomUUID(), endpoint: 'notes', data: {} }], 'body[0].endpoint'],
      ['a bad endpoint', [{ recordId: randomUUID(), endpoint: 'Notes/x', data: {} }], 'body[0].endpoint'],
    ] as const) {
      it(`refuses ${what} (400 naming ${field})`, async () => {
        const reply = await call('PUT', DATA, body);
        assert.equal(reply.status, 400, reply.text);
        assert.ok(reply.json().cause.startsWith(field), reply.json().cause);
      });
    }

    it('refuses the same record twice, and data that is not an object, changing nothing', async () => {
      const a = await make('notes/put-400', { v: 1 });
      assert.equal((await call('PUT', DATA, [{ ...a, data: { v: 2 } }, { ...a, data: { v: 3 } }])).status, 400);
      assert.equal((await call('PUT', DATA, [{ ...a, data: [1, 2] }])).status, 400);
      assert.deepEqual(await read('notes/put-400'), [a]);
    });
  });

  describe('POST /data-batch', () => {
    it('stores records across endpoints in one go (201, the records)', async () => {
      const reply = await call('POST', BATCH, [
        { endpoint: 'notes/batch-a', data: { n: 1 } },
        { endpoint: 'profile/batch-b', data: { n: 2 } },
        { endpoint: 'notes/batch-a', data: { n: 3 } },
      ]);
      assert.equal(reply.status, 201);
      const records = reply.json() as Rec[];
      assert.deepEqual(records.map((r) => [r.endpoint, r.data.n]), [
        ['notes/batch-a', 1],
        ['profile/batch-b', 2],
        ['notes/batch-a', 3],
      ]);
      assert.deepEqual(await read('notes/batch-a'), [records[0], records[2]]);
      assert.deepEqual(await read('profile/batch-b'), [records[1]]);
    });

    it('stores nothing when one element is bad (400 naming it)', async () => {
      const reply = await call('POST', BATCH, [
        { endpoint: 'notes/batch-bad', data: { ok: true } },
        { endpoint: 'notes/batch-bad', data: 'not an object' },
      ]);
      assert.equal(reply.status, 400);
      assert.match(reply.json().cause, /Record 1 of the batch/);
      const badEndpoint = await call('POST', BATCH, [{ endpoint: 'notes/batch-bad', data: {} }, { endpoint: 'UP/x', data: {} }]);
      assert.equal(badEndpoint.status, 400);
      assert.ok(badEndpoint.json().cause.startsWith('body[1].endpoint'));
      assert.equal((await call('POST', BATCH, { endpoint: 'notes/x', data: {} })).status, 400, 'the body must be an array');
      assert.deepEqual(await read('notes/batch-bad'), []);
    });

    it('needs write on every namespace: an application that lacks one stores nothing (403 naming it)', async () => {
      const app = await appToken(server, 'alice', owner, 'notes-app');
      const reply = await as(app, 'POST', BATCH, [
        { endpoint: 'notes/batch-app', data: { n: 1 } },
        { endpoint: 'profile/batch-app', data: { n: 2 } },
      ]);
      assert.equal(reply.status, 403);
      assert.match(reply.json().cause, /"profile"; nothing was stored/);
      assert.deepEqual(await read('notes/batch-app'), []);
      assert.equal((await as(app, 'POST', BATCH, [{ endpoint: 'notes/batch-app', data: { n: 1 } }])).status, 201);
    });
  });

  it('refuses data nested deeper than 100 levels in PUT and data-batch alike (400), changing nothing', async () => {
    const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{"leaf":1}' + '}'.repeat(depth - 1);
    const a = await make('notes/deep', { v: 1 });
    const send = (method: string, path: string, text: string) =>
      server.call('alice', path, { method, body: text, headers: { 'x-auth-token': owner, 'content-type': 'application/json' } });
    const put = await send('PUT', DATA, `[{"recordId":"${a.recordId}","data":${nested(101)}}]`);
    assert.equal(put.status, 400, put.text);
    assert.match(put.json().cause, /nested deeper than 100 levels/);
    const batch = await send('POST', BATCH, `[{"endpoint":"notes/deep","data":{}},{"endpoint":"notes/deep","data":${nested(101)}}]`);
    assert.equal(batch.status, 400, batch.text);
    assert.deepEqual(await read('notes/deep'), [a]);
    assert.equal((await send('PUT', DATA, `[{"recordId":"${a.recordId}","data":${nested(100)}}]`)).status, 201);
  });

  describe('GET /data-record/<id>', () => {
    it('answers one record, to the owner and to an application that may read its namespace', async () => {
      const note = await make('profile/one', { v: 1 });
      assert.deepEqual((await call('GET', `${RECORD}/${note.recordId}`)).json(), note);
      assert.deepEqual((await call('GET', `${RECORD}/${note.recordId.toUpperCase()}`)).json(), note, 'ids are case-insensitive');
      const app = await appToken(server, 'alice', owner, 'notes-app');
      assert.deepEqual((await as(app, 'GET', `${RECORD}/${note.recordId}`)).json(), note);
    });

    it("is 404 naming an unknown record or another HAT's, 403 for a namespace the application may not read, 400 for no id", async () => {
      const ghost = randomUUID();
      const missing = await call('GET', `${RECORD}/${ghost}`);
      assert.equal(missing.status, 404);
      assert.match(missing.json().cause, new RegExp(ghost));
      const bobs = (await server.call('bob', `${DATA}/notes/y`, { method: 'POST', headers: { 'x-auth-token': bob }, body: { b: 1 } })).json();
      assert.equal((await call('GET', `${RECORD}/${bobs.recordId}`)).status, 404);
      const hidden = await make('secret/diary', { s: 1 });
      const app = await appToken(server, 'alice', owner, 'notes-app');
      assert.equal((await as(app, 'GET', `${RECORD}/${hidden.recordId}`)).status, 403);
      const malformed = await call('GET', `${RECORD}/not-an-id`);
      assert.equal(malformed.status, 400);
      assert.equal(malformed.json().cause.startsWith('recordId'), true);
    });
  });
});
