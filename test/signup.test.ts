import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, STRONG_PASSWORD, type TestServer } from './support/server.js';

describe('POST /api/signup (SPEC 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const signup = (body: unknown) => server.call(null, '/api/signup', { method: 'POST', body });
  const valid = (name: string) => ({ username: name, email: `${name}@example.com`, pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD });

  it('creates a HAT and answers 201 with its address, URL and the owner id', async () => {
    const reply = await signup(valid('alice'));
    assert.equal(reply.status, 201);
    const body = reply.json();
    assert.equal(body.hat, server.hatHost('alice'));
    assert.equal(body.url, `http://${server.hatHost('alice')}`);
    assert.match(body.userId, /^[0-9a-f-]{36}$/);
  });

  it('answers 409 when the name is taken, whatever its case', async () => {
    const reply = await signup({ ...valid('carol'), username: 'Alice' });
    assert.equal(reply.status, 409);
    assert.match(reply.json().cause, /username/);
  });

  it('gives exactly one 201 to fifty concurrent sign-ups for the same name', async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => signup({ ...valid('racer'), email: `racer${i}@example.com` })),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1);
    assert.equal(statuses.filter((s) => s === 409).length, 49);
  });
});
