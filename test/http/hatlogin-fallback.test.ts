import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidInput } from '../../src/errors.js';
import type { HatLoginInput } from '../../src/services/hatlogin.js';
import { registration } from '../support/fixtures.js';
import { FormClient, valueOf } from '../support/forms.js';
import { notablesManifest } from '../support/manifests.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

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

describe('the /hatlogin pages with HAT-style links (SPEC 6.8)', () => {
  let server: TestServer;
  const SITE = 'https://notables.example.com';

  before(async () => {
    server = await startTestServer();
    const manifest = notablesManifest();
    manifest.setup.validRedirectUris = [`${SITE}/authenticate`, `${SITE}/failed`];
    await server.services.registry.create(manifest);
    await server.createHat('alice');
  });
  after(() => server.stop());

  /** Logs in through the pages of a flow started at `query`; returns the approval page. */
  async function approvalFor(browser: FormClient, query: string) {
    const login = await browser.get(`/hatlogin?${query}`);
    assert.equal(login.status, 200, login.text.slice(0, 300));
    const fields = { name: valueOf(login.text, 'name') ?? '', redirect: valueOf(login.text, 'redirect') ?? '' };
    const fallback = valueOf(login.text, 'fallback');
    const posted = await browser.post('/hatlogin/login', { ...fields, ...(fallback ? { fallback } : {}), password: STRONG_PASSWORD });
    assert.equal(posted.status, 303, posted.text.slice(0, 300));
    const page = await browser.get(posted.headers.location!);
    assert.equal(page.status, 200);
    return page;
  }

  it('takes application_id, redirect_uri and fallback through login and approval: Deny goes to the fallback', async () => {
    const browser = new FormClient(server, 'alice');
    const query = `application_id=notables&redirect_uri=${encodeURIComponent(`${SITE}/authenticate`)}&fallback=${encodeURIComponent(`${SITE}/failed?from=hat`)}`;
    const page = await approvalFor(browser, query);
    assert.equal(valueOf(page.text, 'fallback'), `${SITE}/failed?from=hat`);
    const denied = await browser.post('/hatlogin/deny', { pending: valueOf(page.text, 'pending') ?? '' });
    assert.equal(denied.status, 303);
    assert.equal(denied.headers.location, `${SITE}/failed?from=hat&error=access_denied`);
  });

  it('approving still goes to the redirect, with the token', async () => {
    const browser = new FormClient(server, 'alice');
    const page = await approvalFor(browser, `name=notables&redirect=${encodeURIComponent(`${SITE}/authenticate`)}&fallback=${encodeURIComponent(`${SITE}/failed`)}`);
    const approved = await browser.post('/hatlogin/approve', { pending: valueOf(page.text, 'pending') ?? '' });
    assert.equal(approved.status, 303);
    assert.match(approved.headers.location!, new RegExp(`^${SITE}/authenticate\\?token=`));
  });

  it('shows what the manifest offers on the approval page, the logo only from https and allowed by the CSP', async () => {
    await server.createHat('petra');
    const browser = new FormClient(server, 'petra');
    const page = await approvalFor(browser, `name=notables&redirect=${encodeURIComponent(`${SITE}/authenticate`)}`);
    for (const text of ['All your words', 'HATDeX', 'Your notes are read to show them back to you, and nothing else.', 'support@notables.example.com']) {
      assert.ok(page.text.includes(text), text);
    }
    assert.match(page.text, /<img class="app-logo" src="https:\/\/notables.example.com\/logo.png"/);
    assert.match(page.text, /<a href="https:\/\/notables.example.com\/terms" rel="noopener noreferrer">Terms of use<\/a>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /img-src 'self' data: https:\/\/notables.example.com(;|$)/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.equal((page.text.match(/class="access /g) ?? []).length, 1, 'read and write on rumpel is one line');
  });

  it('refuses a bad fallback with an error page on the HAT, never a redirect', async () => {
    const browser = new FormClient(server, 'alice');
    const reply = await browser.get(`/hatlogin?name=Shop&redirect=${encodeURIComponent('https://shop.example.com/done')}&fallback=${encodeURIComponent('https://evil.example.com/')}`);
    assert.equal(reply.status, 400);
    assert.equal(reply.headers.location, undefined);
    assert.match(reply.text, /same site/);
  });

  it("shows the manifest on the dashboard's application cards, the logo's origin allowed by the CSP", async () => {
    await server.createHat('dora');
    const browser = new FormClient(server, 'dora');
    await browser.get('/');
    assert.equal((await browser.post('/login', { password: STRONG_PASSWORD })).status, 303);
    const dashboard = await browser.get('/');
    assert.equal(dashboard.status, 200);
    for (const text of ['All your words', 'Your notes are read to show them back to you, and nothing else.', 'HATDeX', 'Terms of use']) {
      assert.ok(dashboard.text.includes(text), text);
    }
    assert.match(dashboard.text, /<img class="app-logo" src="https:\/\/notables.example.com\/logo.png"/);
    assert.match(String(dashboard.headers['content-security-policy']), /img-src 'self' data: https:\/\/notables.example.com(;|$)/);
  });

  it("serves / with the forwarding script (script-src 'self', no inline script) and a note for browsers without scripts", async () => {
    const home = await new FormClient(server, 'alice').get('/');
    assert.equal(home.status, 200);
    assert.match(home.text, /<script src="\/static\/js\/hatlogin-link.js"><\/script>/);
    assert.match(home.text, /<noscript>[\s\S]*replace <span class="mono">\/#\/hatlogin<\/span> with <span class="mono">\/hatlogin<\/span>/);
    assert.doesNotMatch(home.text, /<script>/);
    assert.match(String(home.headers['content-security-policy']), /script-src 'self'(;|$)/);
    const script = await server.call('alice', '/static/js/hatlogin-link.js');
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
  });
});
