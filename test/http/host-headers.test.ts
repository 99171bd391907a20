import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Issue 11, finding 6: a Host that a proxy, a cache and this server could read differently is a 400. */
describe('Host headers that could be read two ways (SPEC 2)', () => {
  let server: TestServer;
  let proxied: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.createHat('alice');
    await server.createHat('bob');
    proxied = await startTestServer({ TRUST_PROXY: 'true' });
    await proxied.createHat('alice');
  });
  after(async () => {
    await server.stop();
    await proxied.stop();
  });

  const refused = (reply: { status: number; json(): { cause: string } }, what: RegExp) => {
    assert.equal(reply.status, 400);
    assert.match(reply.json().cause, what);
  };

  it('answers a plain Host as before', async () => {
    assert.equal((await request(server.port, server.hatHost('alice'), '/publickey')).status, 200);
  });

  it('refuses a Host holding a comma list', async () => {
    refused(await request(server.port, `${server.hatHost('alice')},evil.example`, '/publickey'), /exactly one host/);
    refused(await request(server.port, `${server.hatHost('alice')}, ${server.hatHost('bob')}`, '/publickey'), /exactly one host/);
  });

  it('refuses a Host with user-info (@)', async () => {
    refused(await request(server.port, `evil.example@${server.hatHost('alice')}`, '/publickey'), /exactly one host/);
  });

  it('refuses an absolute-form target that names another host than Host, and accepts one that agrees', async () => {
    const other = `http://${server.hatHost('bob')}/publickey`;
    refused(await request(server.port, server.hatHost('alice'), other), /another host/);
    const same = await request(server.port, server.hatHost('alice'), `http://${server.hatHost('alice')}/publickey`);
    assert.equal(same.status, 200);
  });

  it('under TRUST_PROXY takes one X-Forwarded-Host value only', async () => {
    const host = proxied.hatHost('alice');
    const ok = await request(proxied.port, 'proxy.internal', '/publickey', { headers: { 'x-forwarded-host': host } });
    assert.equal(ok.status, 200);
    refused(
      await request(proxied.port, 'proxy.internal', '/publickey', { headers: { 'x-forwarded-host': `${host}, evil.example` } }),
      /X-Forwarded-Host/,
    );
    refused(
      await request(proxied.port, 'proxy.internal', '/publickey', { headers: { 'x-forwarded-host': [host, 'evil.example'] } }),
      /X-Forwarded-Host/,
    );
  });
});
