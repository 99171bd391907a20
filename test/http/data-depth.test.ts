import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/ports.js';
import { startWithStore } from '../support/hatlogin.js';
import type { TestServer } from '../support/server.js';

const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{"leaf":1}' + '}'.repeat(depth - 1);

describe('Data nested too deep (SPEC 8: deeper than 100 levels is a 400)', () => {
  let server: TestServer;
  let store: Store;
  let stop: () => Promise<void>;
  let token: string;
  before(async () => {
    ({ server, store, stop } = await startWithStore());
    token = (await server.createHat('deep')).token;
  });
  after(() => stop());

  const post = (path: string, body: string) =>
    server.call('deep', `/api/v2.6/data/${path}`, { method: 'POST', body, headers: { 'x-auth-token': token, 'content-type': 'application/json' } });

  it('stores data 100 levels deep and refuses 101 levels, nothing stored', async () => {
    assert.equal((await post('t/ok', nested(100))).status, 201);
    const refused = await post('t/refused', `[{"x":1},${nested(101)}]`);
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json().cause, /Record 1 of the batch is nested deeper than 100 levels/);
    const read = await server.call('deep', '/api/v2.6/data/t/refused', { headers: { 'x-auth-token': token } });
    assert.equal(read.text, '[]');
  });

  it('answers 400, not 500, to data nested thousands deep, objects and arrays alike', async () => {
    for (const body of [nested(5000), '{"a":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}']) {
      const reply = await post('t/huge', body);
      assert.equal(reply.status, 400, reply.text.slice(0, 200));
      assert.deepEqual(Object.keys(reply.json()).sort(), ['cause', 'message']);
    }
    assert.equal((await server.call('deep', '/healthz')).status, 200);
  });

  it('an ordered read still answers when a record stored before the limit is nested past 1,000 levels', async () => {
    const endpoint = 't/legacy';
    await store.records.insert('deep', [
      { recordId: randomUUID(), endpoint, json: '{"n":2}', createdAt: new Date() },
      { recordId: randomUUID(), endpoint, json: nested(1500), createdAt: new Date() },
      { recordId: randomUUID(), endpoint, json: '{"n":1}', createdAt: new Date() },
    ]);
    const reply = await server.call('deep', `/api/v2.6/data/${endpoint}?orderBy=n`, { headers: { 'x-auth-token': token } });
    assert.equal(reply.status, 200, reply.text.slice(0, 200));
    const records = reply.json<Array<{ data: { n?: number } }>>();
    assert.deepEqual(records.map((r) => r.data.n ?? null), [1, 2, null]);
  });
});
