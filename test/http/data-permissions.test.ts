import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appToken, enableApp, ownerCall, registerApp, validateToken } from '../support/apps.js';
import type { Reply } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

/*
 * SPEC 8's permission rules as one table: every caller against every data operation on alice's
 * HAT, namespace "ns". A failure prints the whole table of expected and actual statuses.
 */

const DATA = '/api/v2.6/data';

type Caller = 'owner' | 'app-read' | 'app-write' | 'app-elsewhere' | 'app-disabled' | 'app-of-bob' | 'validate' | 'bob-owner' | 'no token';
type Operation =
  | 'GET ns/ep'
  | 'POST ns/ep'
  | 'DELETE ns/ep'
  | 'DELETE ?records'
  | 'GET sources'
  | 'PUT data'
  | 'POST data-batch'
  | 'GET data-record';

const OPERATIONS: Operation[] = [
  'GET ns/ep',
  'POST ns/ep',
  'DELETE ns/ep',
  'DELETE ?records',
  'GET sources',
  'PUT data',
  'POST data-batch',
  'GET data-record',
];

const EXPECTED: Record<Caller, [number, number, number, number, number, number, number, number]> = {
  //                GET   POST  DELETE  ?records  sources  PUT   batch  record
  owner:           [200,  201,  200,    200,      200,     201,  201,   200],
  'app-read':      [200,  403,  403,    403,      200,     403,  403,   200],
  'app-write':     [200,  201,  200,    200,      200,     201,  201,   200],
  'app-elsewhere': [403,  403,  403,    403,      200,     403,  403,   403],
  'app-disabled':  [401,  401,  401,    401,      401,     401,  401,   401],
  'app-of-bob':    [401,  401,  401,    401,      401,     401,  401,   401],
  validate:        [403,  403,  403,    403,      403,     403,  403,   403],
  'bob-owner':     [401,  401,  401,    401,      401,     401,  401,   401],
  'no token':      [401,  401,  401,    401,      401,     401,  401,   401],
};

/** What each caller may see in /data/sources (when it may list them at all). */
const VISIBLE_SOURCES: Partial<Record<Caller, string[]>> = {
  owner: ['ns', 'other'],
  'app-read': ['ns'],
  'app-write': ['ns'],
  'app-elsewhere': ['other'],
};

function render(title: string, rows: Record<string, (number | string)[]>): string {
  const header = ['caller', ...OPERATIONS];
  const body = Object.entries(rows).map(([caller, cells]) => [caller, ...cells.map(String)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [title, line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)].join('\n');
}

describe('who may do what with the data (SPEC 8)', () => {
  let server: TestServer;
  let alice: string;
  const tokens = new Map<Caller, string | null>();

  before(async () => {
    server = await startTestServer();
    alice = (await server.createHat('alice')).token;
    const bob = (await server.createHat('bob')).token;
    await registerApp(server, 'reads-ns', [{ namespace: 'ns', access: 'read' }]);
    await registerApp(server, 'writes-ns', [{ namespace: 'ns', access: 'write' }]);
    await registerApp(server, 'writes-other', [{ namespace: 'other', access: 'write' }]);
    await registerApp(server, 'switched-off', [{ namespace: 'ns', access: 'write' }]);
    for (const id of ['reads-ns', 'writes-ns', 'writes-other', 'switched-off']) await enableApp(server, 'alice', alice, id);
    await enableApp(server, 'bob', bob, 'writes-ns');

    tokens.set('owner', alice);
    tokens.set('app-read', await appToken(server, 'alice', alice, 'reads-ns'));
    tokens.set('app-write', await appToken(server, 'alice', alice, 'writes-ns'));
    tokens.set('app-elsewhere', await appToken(server, 'alice', alice, 'writes-other'));
    tokens.set('app-disabled', await appToken(server, 'alice', alice, 'switched-off'));
    const off = await ownerCall(server, 'alice', alice, 'POST', '/api/v2.6/applications/switched-off/disable');
    assert.equal(off.status, 200);
    tokens.set('app-of-bob', await appToken(server, 'bob', bob, 'writes-ns'));
    tokens.set('validate', await validateToken(server, 'alice'));
    tokens.set('bob-owner', bob);
    tokens.set('no token', null);

    const seed = await ownerCall(server, 'alice', alice, 'POST', `${DATA}/other/ep`, { seed: true });
    assert.equal(seed.status, 201);
  });
  after(() => server.stop());

  /** Runs one operation as `caller`; a fresh record is made first, so each cell stands alone. */
  async function perform(caller: Caller, operation: Operation): Promise<Reply> {
    const made = await ownerCall(server, 'alice', alice, 'POST', `${DATA}/ns/ep`, { made: operation });
    assert.equal(made.status, 201);
    const recordId = (made.json() as { recordId: string }).recordId;
    const token = tokens.get(caller);
    const headers: Record<string, string> = token ? { 'x-auth-token': token } : {};
    switch (operation) {
      case 'GET ns/ep':
        return server.call('alice', `${DATA}/ns/ep`, { headers });
      case 'POST ns/ep':
        return server.call('alice', `${DATA}/ns/ep`, { method: 'POST', headers, body: [{ by: caller }] });
      case 'DELETE ns/ep':
        return server.call('alice', `${DATA}/ns/ep`, { method: 'DELETE', headers });
      case 'DELETE ?records':
        return server.call('alice', `${DATA}?records=${recordId}`, { method: 'DELETE', headers });
      case 'GET sources':
        return server.call('alice', `${DATA}/sources`, { headers });
      case 'PUT data':
        return server.call('alice', DATA, { method: 'PUT', headers, body: [{ endpoint: 'ns/ep', recordId, data: { by: caller } }] });
      case 'POST data-batch':
        return server.call('alice', '/api/v2.6/data-batch', { method: 'POST', headers, body: [{ endpoint: 'ns/batch', data: { by: caller } }] });
      case 'GET data-record':
        return server.call('alice', `/api/v2.6/data-record/${recordId}`, { headers });
    }
  }

  it('answers every caller and operation with the status of the table', async () => {
    const actual: Record<string, (number | string)[]> = {};
    const sources: Record<string, string[]> = {};
    let mismatches = 0;
    for (const caller of Object.keys(EXPECTED) as Caller[]) {
      actual[caller] = [];
      for (const [i, operation] of OPERATIONS.entries()) {
        const reply = await perform(caller, operation);
        const expected = EXPECTED[caller][i]!;
        const ok = reply.status === expected && (reply.status < 400 || typeof reply.json().cause === 'string');
        if (!ok) mismatches++;
        actual[caller]!.push(ok ? reply.status : `${reply.status}≠${expected}`);
        if (operation === 'GET sources' && reply.status === 200) sources[caller] = Object.keys(reply.json()).sort();
      }
    }
    assert.equal(mismatches, 0, '\n' + render('actual status (≠ expected where wrong)', actual));
    for (const [caller, visible] of Object.entries(VISIBLE_SOURCES)) {
      assert.deepEqual(sources[caller], visible, `the sources ${caller} may see`);
    }
  });

  it('stores nothing that a refused caller sent', async () => {
    const refused: Caller[] = ['app-read', 'app-elsewhere', 'app-disabled', 'app-of-bob', 'validate', 'bob-owner', 'no token'];
    for (const caller of refused) {
      const token = tokens.get(caller);
      const reply = await server.call('alice', `${DATA}/ns/refused`, {
        method: 'POST',
        headers: token ? { 'x-auth-token': token } : {},
        body: [{ by: caller }],
      });
      assert.ok(reply.status === 401 || reply.status === 403, `${caller}: ${reply.status}`);
    }
    assert.deepEqual((await ownerCall(server, 'alice', alice, 'GET', `${DATA}/ns/refused`)).json(), []);
  });

  it('needs write on every namespace of the records an application deletes by id, and deletes none otherwise', async () => {
    const inNs = (await ownerCall(server, 'alice', alice, 'POST', `${DATA}/ns/mixed`, { a: 1 })).json().recordId;
    const inOther = (await ownerCall(server, 'alice', alice, 'POST', `${DATA}/other/mixed`, { b: 1 })).json().recordId;
    const reply = await server.call('alice', `${DATA}?records=${inNs},${inOther}`, {
      method: 'DELETE',
      headers: { 'x-auth-token': tokens.get('app-write')! },
    });
    assert.equal(reply.status, 403);
    assert.match(reply.json().cause, /"other".*nothing was deleted/);
    assert.equal((await ownerCall(server, 'alice', alice, 'GET', `${DATA}/ns/mixed`)).json().length, 1);
    assert.equal((await ownerCall(server, 'alice', alice, 'GET', `${DATA}/other/mixed`)).json().length, 1);
  });
});
