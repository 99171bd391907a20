import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheTerms, cimdFetch } from '../../../src/http/oidc/cimd-fetch.js';

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

/** SPEC 12: documents are cached within Cache-Control limits; oidc-provider reads only max-age and Expires. */
describe('the caching terms shown to oidc-provider', () => {
  for (const [cacheControl, expires, shown] of [
    ['no-store', null, 'max-age=0'],
    ['private, No-Cache, max-age=600', null, 'max-age=0'],
    ['no-store, max-age=60', null, 'max-age=0'],
    ['public, max-age=60', null, null],
    ['max-age=0', null, null],
    [null, 'Wed, 21 Oct 2037 07:28:00 GMT', null],
    [null, null, 'max-age=30'],
    ['public', null, 'max-age=30'],
  ] as const) {
    it(`Cache-Control ${cacheControl ?? '(none)'}, Expires ${expires ?? '(none)'} → ${shown ?? 'as served'}`, () => {
      assert.equal(cacheTerms(cacheControl, expires), shown);
    });
  }
});
