import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/ports.js';
import { request, type Reply } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** SPEC 9: GET /healthz is 200 when the datastore answers and 503 when it does not, on every host. */

type Mode = 'up' | 'failing' | 'hanging';

/** The real SQLite store, except that ping (and, when failing, HAT look-ups) can be made to fail or hang. */
function unreliableStore(dir: string): { store: Store; set(mode: Mode): void } {
  const inner = openSqliteStore(dir);
  let mode: Mode = 'up';
  const broken = () =>
    mode === 'hanging' ? new Promise<never>(() => {}) : Promise.reject(new Error('SQLITE_IOERR: disk I/O error at /var/secret/hat.sqlite'));
  const store: Store = {
    ...inner,
    hats: {
      ...inner.hats,
      find: (name) => (mode === 'failing' ? broken() : inner.hats.find(name)),
    },
    ping: () => (mode === 'up' ? inner.ping() : broken()),
  };
  return { store, set: (m) => (mode = m) };
}

function assertUnavailable(reply: Reply, what: string): void {
  assert.equal(reply.status, 503, `${what}: expected 503, got ${reply.status} ${reply.text}`);
  assert.match(String(reply.headers['content-type']), /^application\/json/, what);
  const body = reply.json<Record<string, string>>();
  assert.deepEqual(Object.keys(body).sort(), ['cause', 'message'], what);
  assert.doesNotMatch(reply.text, /SQLITE_IOERR|\/var\/secret/, `${what} shows internal detail`);
}

describe('GET /healthz (SPEC 9)', () => {
  let server: TestServer;
  let dir: string;
  let store: ReturnType<typeof unreliableStore>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-health-'));
    store = unreliableStore(dir);
    server = await startTestServer({}, store.store);
    await server.createHat('alice');
  });
  after(async () => {
    store.set('up');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 200 JSON on the cluster host, on localhost and on a HAT host while the datastore answers', async () => {
    for (const reply of [
      await server.call(null, '/healthz'),
      await request(server.port, `localhost:${server.port}`, '/healthz'),
      await server.call('alice', '/healthz'),
    ]) {
      assert.equal(reply.status, 200);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      assert.equal(reply.json().status, 'ok');
    }
  });

  it('answers JSON even to a browser', async () => {
    const reply = await server.call('alice', '/healthz', { headers: { accept: 'text/html' } });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
  });

  it('is never cached', async () => {
    const reply = await server.call(null, '/healthz');
    assert.match(String(reply.headers['cache-control']), /no-store/);
  });

  it('answers 503 JSON when the datastore fails, on the cluster and on a HAT host', async () => {
    store.set('failing');
    try {
      assertUnavailable(await server.call(null, '/healthz'), 'cluster');
      assertUnavailable(await server.call('alice', '/healthz'), 'alice');
      // A HAT this process has not looked up yet needs the store to be found at all.
      assertUnavailable(await server.call('bob', '/healthz'), 'a HAT not seen before');
    } finally {
      store.set('up');
    }
  });

  it('answers 503 when the datastore does not answer at all, rather than hanging', async () => {
    store.set('hanging');
    try {
      assertUnavailable(await server.call(null, '/healthz'), 'cluster');
      assertUnavailable(await server.call('alice', '/healthz'), 'alice');
    } finally {
      store.set('up');
    }
  });

  it('answers 200 again once the datastore is back', async () => {
    assert.equal((await server.call(null, '/healthz')).status, 200);
    assert.equal((await server.call('alice', '/healthz')).status, 200);
    assert.equal((await server.call('bob', '/healthz')).status, 404, 'an unknown HAT is 404 again, not 503');
  });
});
