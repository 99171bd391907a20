import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

/** SPEC 11/13: with no SMTP_URL, mail goes to DATA_DIR/outbox/ and, in development, /dev/outbox lists it. */
describe('the outbox (no SMTP_URL)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('writes each mail to DATA_DIR/outbox/ (0600 files in a 0700 folder) and lists it at /dev/outbox', async () => {
    await server.createHat('olga');
    await server.services.links.settled();
    const dir = path.join(server.dataDir, 'outbox');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.equal(statSync(path.join(dir, files[0]!)).mode & 0o777, 0o600);
    const page = await server.call(null, '/dev/outbox');
    assert.equal(page.status, 200);
    assert.match(page.text, /Confirm the email address of your HAT olga/);
    assert.match(page.text, new RegExp(`<a href="http://olga\\.${server.clusterHost.replace(/\./g, '\\.')}/confirm-email\\?token=[A-Za-z0-9_-]{43}">`));
    // Only on the cluster's host.
    assert.equal((await server.call('olga', '/dev/outbox')).status, 404);
  });
});

describe('/dev/outbox elsewhere', () => {
  it('is not there in production, nor when mail goes to SMTP_URL', async () => {
    const secrets = { SESSION_SECRET: 's'.repeat(32), KEY_ENCRYPTION_SECRET: 'k'.repeat(32), ADMIN_TOKEN: 'a'.repeat(32) };
    const envs: Array<Record<string, string>> = [{ NODE_ENV: 'production', ...secrets }, { SMTP_URL: 'smtp://127.0.0.1:1' }];
    for (const env of envs) {
      const server = await startTestServer(env);
      try {
        assert.equal((await server.call(null, '/dev/outbox')).status, 404, JSON.stringify(Object.keys(env)));
      } finally {
        await server.stop();
      }
    }
  });
});
