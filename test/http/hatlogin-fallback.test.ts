import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidInput } from '../../src/errors.js';
import type { HatLoginInput } from '../../src/services/hatlogin.js';
import { registration } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

/*
 * SPEC 6.8 in the /hatlogin service: the HAT dashboard's parameter names, and `fallback`, which
 * must never become an open redirect.
 */

describe("/hatlogin's HAT-style parameters and fallback (SPEC 6.8)", () => {
  let server: TestServer;
  const parse = (input: HatLoginInput) => server.services.hatlogin.parse(input);
  async function refusal(input: HatLoginInput): Promise<InvalidInput> {
    try {
      await parse(input);
    } catch (err) {
      assert.ok(err instanceof InvalidInput, String(err));
      return err;
    }
    assert.fail('the request was accepted');
  }

  before(async () => {
    server = await startTestServer();
    await server.services.registry.create(
      registration({ redirectUris: ['https://notes.example.com/auth/callback', 'https://notes.example.com/auth/failed', 'https://other.example.com/cb'] }),
    );
  });
  after(() => server.stop());

  it('takes application_id and redirect_uri for name and redirect', async () => {
    const request = await parse({ application_id: 'notes-app', redirect_uri: 'https://notes.example.com/auth/callback' });
    assert.equal(request.application?.id, 'notes-app');
    assert.equal(request.redirect, 'https://notes.example.com/auth/callback');
    assert.equal(request.fallback, null);
    const same = await parse({ name: 'notes-app', application_id: 'notes-app', redirect: 'https://notes.example.com/auth/callback' });
    assert.equal(same.name, 'notes-app');
  });

  it('refuses both names when they differ', async () => {
    const err = await refusal({ name: 'Shop', application_id: 'notes-app', redirect: 'https://shop.example.com/' });
    assert.equal(err.field, 'name');
    const err2 = await refusal({ name: 'Shop', redirect: 'https://shop.example.com/', redirect_uri: 'https://evil.example.com/' });
    assert.equal(err2.field, 'redirect');
  });

  it("sends Deny and Cancel to the fallback with error=access_denied, else to the redirect", async () => {
    const hatlogin = server.services.hatlogin;
    const generic = await parse({ name: 'Shop', redirect: 'https://shop.example.com/done?token=old', fallback: 'https://shop.example.com/failed?x=1' });
    assert.equal(generic.fallback, 'https://shop.example.com/failed?x=1');
    assert.equal(hatlogin.cancelUrl(generic), 'https://shop.example.com/failed?x=1&error=access_denied');
    const plain = await parse({ name: 'Shop', redirect: 'https://shop.example.com/done?token=old' });
    assert.equal(hatlogin.cancelUrl(plain), 'https://shop.example.com/done?error=access_denied');
    const app = await parse({ name: 'notes-app', redirect: 'https://notes.example.com/auth/callback', fallback: 'https://notes.example.com/auth/failed?why=1' });
    assert.equal(hatlogin.cancelUrl(app), 'https://notes.example.com/auth/failed?why=1&error=access_denied');
  });

  for (const [what, input, pattern] of [
    ['another site', { name: 'Shop', redirect: 'https://shop.example.com/done', fallback: 'https://evil.example.com/' }, /same site/],
    ['another scheme', { name: 'Shop', redirect: 'https://shop.example.com/done', fallback: 'http://shop.example.com/' }, /https|same site/],
    ['another port', { name: 'Shop', redirect: 'http://localhost:4000/done', fallback: 'http://localhost:4001/failed' }, /same site/],
    ['a javascript: URL', { name: 'Shop', redirect: 'https://shop.example.com/done', fallback: 'javascript:alert(1)' }, /absolute https/],
    ['a fragment', { name: 'Shop', redirect: 'https://shop.example.com/done', fallback: 'https://shop.example.com/#x' }, /fragment/],
    ['user-info', { name: 'Shop', redirect: 'https://shop.example.com/done', fallback: 'https://a@shop.example.com/' }, /user name/],
    ['one given twice', { name: 'Shop', redirect: 'https://shop.example.com/done', fallback: ['https://shop.example.com/a', 'https://shop.example.com/b'] }, /more than once/],
    ["an unregistered URL of an application's site", { name: 'notes-app', redirect: 'https://notes.example.com/auth/callback', fallback: 'https://notes.example.com/anything' }, /registered addresses/],
    ["another registered site of the application", { name: 'notes-app', redirect: 'https://notes.example.com/auth/callback', fallback: 'https://other.example.com/cb' }, /same site/],
  ] as const) {
    it(`refuses a fallback on ${what} (400, fallback)`, async () => {
      const err = await refusal(input as HatLoginInput);
      assert.equal(err.field, 'fallback');
      assert.equal(err.message, 'Invalid login request');
      assert.match(err.detail, pattern);
    });
  }
});
