import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cimdFetch } from '../../../src/http/oidc/cimd-fetch.js';

/** SPEC 12: metadata documents are never fetched from private or link-local addresses; loopback only outside production. */
describe('fetching Client ID Metadata Documents outside production', () => {
  const fetchDoc = cimdFetch(false);
  for (const address of ['10.0.0.1', '192.168.1.10', '169.254.169.254', '[fc00::1]', '[fe80::1]']) {
    it(`refuses ${address} before connecting`, async () => {
      await assert.rejects(fetchDoc(`https://${address}/client.json`, { method: 'GET' }), /private or special-use/);
    });
  }
  it('lets loopback through (here the connection fails, not the address check)', async () => {
    await assert.rejects(fetchDoc('https://127.0.0.1:1/client.json', { method: 'GET' }), (err: Error) => !/special-use/.test(String(err.message)));
  });
});
