import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Unavailable, UniqueViolation } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { application } from '../support/fixtures.js';
import { startTestServer } from '../support/server.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hat-unavailable-'));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a datastore that does not answer (SPEC 3: 503)', () => {
  it('turns the embedded store’s "cannot use the file" errors into Unavailable', async () => {
    const store = openSqliteStore(tempDir());
    await store.close();
    await assert.rejects(store.hats.find('alice'), Unavailable);
    await assert.rejects(store.records.read('alice', 'ns/ep', { ordering: 'ascending', skip: 0, take: 1 }), Unavailable);
  });

  it('lets every other store error through unchanged', async () => {
    const store = openSqliteStore(tempDir());
    const app = application({ id: 'dup-app' });
    await store.applications.create(app);
    await assert.rejects(store.applications.create(app), UniqueViolation);
    await store.close();
  });

  it('answers an API request with 503 and the SPEC 3 body, never a stack trace', async () => {
    const store = openSqliteStore(tempDir());
    const server = await startTestServer({}, store);
    try {
      const { token } = await server.createHat('outage');
      const ok = await server.call('outage', '/api/v2.6/data/notes/today', { headers: { 'X-Auth-Token': token } });
      assert.equal(ok.status, 200);
      await store.close();
      const reply = await server.call('outage', '/api/v2.6/data/notes/today', { headers: { 'X-Auth-Token': token } });
      assert.equal(reply.status, 503);
      assert.deepEqual(Object.keys(reply.json()).sort(), ['cause', 'message']);
      assert.equal(reply.json().message, 'Service Unavailable');
      assert.doesNotMatch(reply.text, /at \w+ \(|\.ts:\d+|SqliteError|TypeError/);
    } finally {
      await server.stop();
    }
  });
});
