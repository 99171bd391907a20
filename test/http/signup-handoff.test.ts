import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { linkHash } from '../../src/services/links.js';
import type { Store } from '../../src/store/ports.js';
import { FormClient, valueOf } from '../support/forms.js';
import { startWithStore } from '../support/hatlogin.js';
import { STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** Issue 12: sign-up ends logged in on the new HAT, through a one-time hand-off (services/handoff.ts). */
describe('The sign-up hand-off to the new HAT', () => {
  let server: TestServer;
  let store: Store;
  let stop: () => Promise<void>;
  before(async () => {
    ({ server, store, stop } = await startWithStore({}));
  });
  after(() => stop());

  /** Signs `name` up with the form; returns the browser on the cluster and its "ready" page. */
  async function signUp(name: string): Promise<{ cluster: FormClient; ready: string }> {
    const cluster = new FormClient(server, null);
    await cluster.get('/signup');
    const reply = await cluster.post('/signup', { fullName: 'Ada', username: name, email: `${name}@example.com`, pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD });
    assert.equal(reply.status, 303, reply.text.slice(0, 300));
    const ready = await cluster.get('/signup/ready');
    assert.equal(ready.status, 200);
    return { cluster, ready: ready.text };
  }

  /** The owner changes the password through the API. */
  async function changePassword(name: string): Promise<void> {
    const owner = await server.call(name, '/users/access_token', { headers: { username: name, password: encodeURIComponent(STRONG_PASSWORD) } });
    const changed = await server.call(name, '/control/v2/auth/password', {
      method: 'POST',
      body: { password: STRONG_PASSWORD, newPassword: 'amber quartz ferry lullaby' },
      headers: { 'X-Auth-Token': owner.json().accessToken },
    });
    assert.equal(changed.status, 200, changed.text);
  }

  const codeOf = (html: string) => valueOf(html, 'code')!;
  const isLoginPage = (html: string) => /<form method="post" action="\/login"/.test(html);

  it('the "ready" page posts a one-time secret to the new HAT: in a form, never in an address, on a no-store page', async () => {
    const cluster = new FormClient(server, null);
    await cluster.get('/signup');
    await cluster.post('/signup', { fullName: 'Ada', username: 'hand-a', email: 'hand-a@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD });
    const ready = await cluster.get('/signup/ready');
    const address = server.hatHost('hand-a');
    assert.equal(ready.headers['cache-control'], 'no-store');
    assert.match(ready.text, new RegExp(`<form method="post" action="http://${address}/signup/welcome">\\s*`));
    assert.match(codeOf(ready.text), /^[A-Za-z0-9_-]{43}$/);
    assert.match(ready.text, /<button type="submit">Go to my dashboard<\/button>/);
    // The browser's form-action allows the HAT's origin for this page only.
    assert.match(String(ready.headers['content-security-policy']), new RegExp(`form-action 'self' http://${address.replace(/\./g, '\\.')}(;|$)`));
    assert.doesNotMatch(ready.text, /href="[^"]*code=/);
    // The store keeps only its digest.
    const kept = await store.resets.find(linkHash('signin', codeOf(ready.text)), new Date());
    assert.equal(kept?.hat, 'hand-a');
    assert.ok(kept!.expiresAt.getTime() - Date.now() <= 120_000, 'about two minutes');
  });

  it('logs in after one click on the HAT’s own page: a session, the device cookie, the activity log; then the secret is spent', async () => {
    const { ready } = await signUp('hand-b');
    const code = codeOf(ready);
    const hat = new FormClient(server, 'hand-b');
    const welcome = await hat.post('/signup/welcome', { code, _csrf: null });
    assert.equal(welcome.status, 200);
    assert.equal(welcome.headers['cache-control'], 'no-store', 'the page holds the secret');
    assert.match(welcome.text, new RegExp(`Continue as <span class="mono">${server.hatHost('hand-b').replace(/\./g, '\\.')}</span>\\?`));
    assert.match(welcome.text, /<form method="post" action="\/signup\/login">/);
    assert.equal(valueOf(welcome.text, 'code'), code);
    assert.equal(isLoginPage((await hat.get('/')).text), true, 'showing the page logs nobody in');

    await hat.post('/signup/welcome', { code, _csrf: null });
    const login = await hat.post('/signup/login', { code });
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/');
    assert.match(hat.cookieHeader, /hat_session=/);
    assert.match(hat.cookieHeader, /hat_device=/, 'the device cookie of a password login (SPEC 6.3)');
    const dashboard = await hat.get('/');
    assert.equal(isLoginPage(dashboard.text), false);
    assert.match(dashboard.text, /Welcome to your HAT\. You are logged in: this is your dashboard\./);
    const entries = (await hat.get('/activity.json')).json().entries as Array<Record<string, string>>;
    assert.deepEqual({ type: entries[0]!.type, via: entries[0]!.via, detail: entries[0]!.detail }, { type: 'login', via: 'signup', detail: 'signed up and logged in' });

    // Used: a second browser with the same secret gets a page that leads to the login page.
    const again = new FormClient(server, 'hand-b');
    const gone = await again.post('/signup/welcome', { code, _csrf: null });
    assert.equal(gone.status, 404);
    assert.match(gone.text, /Please log in with your password/);
    assert.match(gone.text, /<a class="button" href="\/">Log in to your HAT<\/a>/);
    const reused = await hat.post('/signup/login', { code });
    assert.equal(reused.status, 404);
    assert.match(reused.text, /expired or was already used/);
  });

  it('refuses the login post without this host’s CSRF token (login CSRF): a website posting someone’s secret logs nobody in', async () => {
    const { ready } = await signUp('hand-c');
    const code = codeOf(ready);
    // A victim's browser, sent by another website straight to the login post with the attacker's secret.
    const victim = new FormClient(server, 'hand-c');
    const forged = await victim.post('/signup/login', { code, _csrf: null });
    assert.equal(forged.status, 403);
    assert.equal((await victim.post('/signup/login', { code, _csrf: 's1.forged' })).status, 403);
    assert.equal(isLoginPage((await victim.get('/')).text), true);
    // …and the secret was not used up by the refused posts.
    const owner = new FormClient(server, 'hand-c');
    await owner.post('/signup/welcome', { code, _csrf: null });
    assert.equal((await owner.post('/signup/login', { code })).status, 303);
  });

  it('works only on the HAT it was made for, and does not spend it elsewhere', async () => {
    const { ready } = await signUp('hand-d');
    await signUp('hand-e');
    const code = codeOf(ready);
    const wrong = new FormClient(server, 'hand-e');
    assert.equal((await wrong.post('/signup/welcome', { code, _csrf: null })).status, 404);
    const right = new FormClient(server, 'hand-d');
    assert.equal((await right.post('/signup/welcome', { code, _csrf: null })).status, 200);
  });

  it('stops working when the password changes before it is used', async () => {
    const { ready } = await signUp('hand-h');
    const code = codeOf(ready);
    await changePassword('hand-h');
    const hat = new FormClient(server, 'hand-h');
    assert.equal((await hat.post('/signup/welcome', { code, _csrf: null })).status, 404);
  });

  it('expires: an expired secret gets the page that leads to the login page', async () => {
    const { ready } = await signUp('hand-f');
    const code = codeOf(ready);
    const kept = (await store.resets.find(linkHash('signin', code), new Date()))!;
    await store.resets.issue({ ...kept, expiresAt: new Date(Date.now() - 1000) });
    const hat = new FormClient(server, 'hand-f');
    const gone = await hat.post('/signup/welcome', { code, _csrf: null });
    assert.equal(gone.status, 404);
    assert.match(gone.text, /Log in to your HAT/);
  });

  it('offers the hand-off once: a reload of the page only links to the HAT, so no later visitor of this browser gets a way in', async () => {
    const { cluster, ready } = await signUp('hand-g');
    const first = codeOf(ready);
    const again = await cluster.get('/signup/ready');
    assert.equal(again.status, 200);
    assert.equal(valueOf(again.text, 'code'), null, 'no second secret');
    assert.match(again.text, new RegExp(`<a class="button" href="http://${server.hatHost('hand-g')}/">Go to my HAT</a>`));
    assert.ok(await store.resets.find(linkHash('signin', first), new Date()), 'the first secret keeps its two minutes');
  });

  it('after the hand-off was used and the password changed, reloading the "ready" page logs nobody in (security review)', async () => {
    const { cluster, ready } = await signUp('hand-k');
    const hat = new FormClient(server, 'hand-k');
    await hat.post('/signup/welcome', { code: codeOf(ready), _csrf: null });
    assert.equal((await hat.post('/signup/login', { code: codeOf(ready) })).status, 303);
    await changePassword('hand-k');
    // Someone else at the same computer, still within the ten minutes of the sign-up.
    const later = await cluster.get('/signup/ready');
    assert.equal(later.status, 200);
    assert.equal(valueOf(later.text, 'code'), null, 'the page mints no new secret');
  });
});
