import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/ports.js';
import { FormClient } from '../support/forms.js';
import { startWithStore } from '../support/hatlogin.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

/** A FormClient that sends one User-Agent with every request, as a browser does. */
class Browser extends FormClient {
  constructor(server: TestServer, hat: string, private readonly userAgent: string) {
    super(server, hat);
  }
  override get(path: string, headers: Record<string, string> = {}) {
    return super.get(path, { 'user-agent': this.userAgent, ...headers });
  }
  override post(path: string, fields: Record<string, string | null>, headers: Record<string, string> = {}) {
    return super.post(path, fields, { 'user-agent': this.userAgent, ...headers });
  }
  get sessionId(): string {
    return /hat_session=([^;]+)/.exec(this.cookieHeader)?.[1] ?? '';
  }
}

const isLoginPage = (html: string) => /<form method="post" action="\/login"/.test(html);

/** SPEC 7: the browser sessions of the HAT are listed, with "log out everywhere". */
describe('Browser sessions on the dashboard', () => {
  let server: TestServer;
  let store: Store;
  let stop: () => Promise<void>;
  before(async () => {
    ({ server, store, stop } = await startWithStore({}));
  });
  after(() => stop());

  async function loggedIn(hat: string, userAgent: string): Promise<Browser> {
    const browser = new Browser(server, hat, userAgent);
    await browser.get('/');
    assert.equal((await browser.post('/login', { password: STRONG_PASSWORD })).status, 303);
    return browser;
  }

  it('lists each logged-in browser with its name and times, marks this one, and never shows a session id', async () => {
    await server.createHat('sally');
    const laptop = await loggedIn('sally', FIREFOX);
    const phone = await loggedIn('sally', SAFARI);
    const page = await laptop.get('/');
    const section = page.text.slice(page.text.indexOf('id="sessions"'), page.text.indexOf('id="password"'));
    assert.match(section, /<h3 id="session-\d-name">Firefox on Linux <span class="tag">This browser<\/span><\/h3>/);
    assert.match(section, /<h3 id="session-\d-name">Safari on iPhone<\/h3>/);
    assert.match(section, /<dt>Logged in<\/dt><dd><time class="js-local-time" datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
    assert.match(section, /<dt>Last active<\/dt><dd><time class="js-local-time" datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
    assert.equal((section.match(/End session<span class="visually-hidden"> of Safari on iPhone/g) ?? []).length, 1, 'the other browser can be ended');
    assert.doesNotMatch(section, /End session<span class="visually-hidden"> of Firefox/, 'this browser logs out with Log out');
    assert.match(section, /<form method="post" action="\/dashboard\/sessions\/end-all"/);
    for (const id of [laptop.sessionId, phone.sessionId]) {
      assert.ok(id.length > 20);
      assert.ok(!page.text.includes(id), 'a session id is the cookie’s secret: never on a page');
    }
  });

  it('ends another browser’s session: its next request is logged out, and the activity log says so', async () => {
    await server.createHat('ended');
    const laptop = await loggedIn('ended', FIREFOX);
    const phone = await loggedIn('ended', SAFARI);
    assert.equal(isLoginPage((await phone.get('/')).text), false);
    const page = await laptop.get('/');
    const action = /action="(\/dashboard\/sessions\/[A-Za-z0-9_-]+\/end)"/.exec(page.text)![1]!;
    const reply = await laptop.post(action, {});
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/#sessions');
    const after = await laptop.get('/');
    assert.match(after.text, /The session of Safari on iPhone has ended: that browser is logged out of your HAT\./);
    assert.doesNotMatch(after.text, /Safari on iPhone<\/h3>/);
    assert.equal(await store.sessions.get(phone.sessionId), null, 'gone from the store');
    assert.equal(isLoginPage((await phone.get('/')).text), true, 'the other browser is logged out');
    const entries = (await laptop.get('/activity.json')).json().entries as Array<Record<string, string>>;
    assert.equal(entries[0]!.type, 'logout');
    assert.equal(entries[0]!.detail, 'ended from another browser: Safari on iPhone');
    // The same form again: nothing left to end.
    assert.equal((await laptop.post(action, {})).status, 303);
    assert.match((await laptop.get('/')).text, /That session had already ended; nothing changed\./);
  });

  it('logs out everywhere: every session of the HAT ends, this one included, and the page says so', async () => {
    await server.createHat('everywhere');
    await server.createHat('bystander');
    const laptop = await loggedIn('everywhere', FIREFOX);
    const phone = await loggedIn('everywhere', SAFARI);
    const other = await loggedIn('bystander', FIREFOX);
    await laptop.get('/');
    const reply = await laptop.post('/dashboard/sessions/end-all', {});
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/?logged-out=everywhere');
    const page = await laptop.get('/?logged-out=everywhere');
    assert.equal(isLoginPage(page.text), true);
    assert.match(page.text, /You have logged out everywhere: every browser that was logged in to your HAT, this one included, has to log in again\./);
    assert.equal(isLoginPage((await phone.get('/')).text), true, 'the other browser is logged out on its next request');
    assert.equal(isLoginPage((await other.get('/')).text), false, 'another HAT’s session stays');
    assert.deepEqual(await store.sessions.listLoggedIn('everywhere'), []);
    const again = await loggedIn('everywhere', FIREFOX);
    const entries = (await again.get('/activity.json')).json().entries as Array<Record<string, string>>;
    const logout = entries.find((e) => e.type === 'logout')!;
    assert.equal(logout.detail, 'everywhere (2 sessions ended)');
    assert.equal(logout.via, 'dashboard');
  });

  it('refuses the forms without a CSRF token (403), and sends a browser that is not logged in to log in; nothing ends', async () => {
    await server.createHat('guarded');
    const laptop = await loggedIn('guarded', FIREFOX);
    const phone = await loggedIn('guarded', SAFARI);
    const action = /action="(\/dashboard\/sessions\/[A-Za-z0-9_-]+\/end)"/.exec((await laptop.get('/')).text)![1]!;
    assert.equal((await laptop.post('/dashboard/sessions/end-all', { _csrf: null })).status, 403);
    assert.equal((await laptop.post(action, { _csrf: 'forged' })).status, 403);
    const stranger = new Browser(server, 'guarded', FIREFOX);
    await stranger.get('/');
    const refused = await stranger.post('/dashboard/sessions/end-all', {});
    assert.equal(refused.status, 303);
    assert.equal(refused.headers.location, '/');
    assert.equal((await store.sessions.listLoggedIn('guarded')).length, 2);
    assert.equal(isLoginPage((await phone.get('/')).text), false);
  });

  it('does not end another HAT’s session by its key', async () => {
    await server.createHat('mine');
    await server.createHat('theirs');
    const theirs = await loggedIn('theirs', SAFARI);
    await loggedIn('theirs', FIREFOX);
    const key = /action="\/dashboard\/sessions\/([A-Za-z0-9_-]+)\/end"/.exec((await theirs.get('/')).text)![1]!;
    const mine = await loggedIn('mine', FIREFOX);
    await mine.get('/');
    assert.equal((await mine.post(`/dashboard/sessions/${key}/end`, {})).status, 303);
    assert.match((await mine.get('/')).text, /That session had already ended; nothing changed\./);
    assert.equal((await store.sessions.listLoggedIn('theirs')).length, 2);
  });

  it('keeps "last active" current: a session in use is saved again once its last note is a minute old', async () => {
    await server.createHat('active-user');
    const laptop = await loggedIn('active-user', FIREFOX);
    await laptop.get('/');
    const session = (await store.sessions.get(laptop.sessionId))!;
    const hourAgo = new Date(Date.now() - 3600_000);
    // As if its last request had been an hour ago.
    await store.sessions.set({ ...session, data: { ...session.data, seenAt: hourAgo.getTime() }, userAgent: FIREFOX, loggedInAt: new Date(session.data.loggedInAt as number), lastSeenAt: hourAgo });
    assert.equal((await store.sessions.listLoggedIn('active-user'))[0]!.lastSeenAt.getTime(), hourAgo.getTime());
    await laptop.get('/');
    const seen = (await store.sessions.listLoggedIn('active-user'))[0]!.lastSeenAt.getTime();
    assert.ok(Date.now() - seen < 10_000, `last active ${new Date(seen).toISOString()}`);
  });
});

/** Issue 12: a request in flight when its session is ended must not save it back. */
describe('A session ended while one of its requests runs', () => {
  let server: TestServer;
  let store: Store;
  let dir: string;
  /** The session id whose next read is followed at once by its end, as if "log out everywhere" came in between. */
  let endAfterRead = '';
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-sessions-'));
    store = openSqliteStore(dir);
    const get = store.sessions.get.bind(store.sessions);
    store.sessions.get = async (id) => {
      const found = await get(id);
      if (id === endAfterRead) await store.sessions.destroy(id);
      return found;
    };
    server = await startTestServer({}, store);
    await server.createHat('no-revival');
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays ended: the request’s save writes nothing, and the browser is logged out', async () => {
    const laptop = new Browser(server, 'no-revival', FIREFOX);
    await laptop.get('/');
    assert.equal((await laptop.post('/login', { password: STRONG_PASSWORD })).status, 303);
    await laptop.get('/');
    const id = laptop.sessionId;
    const session = (await store.sessions.get(id))!;
    // Its last note of use an hour ago: the next request saves the session (session.ts, noteInUse).
    await store.sessions.set({ ...session, data: { ...session.data, seenAt: Date.now() - 3600_000 } });
    endAfterRead = id;
    const page = await laptop.get('/');
    endAfterRead = '';
    assert.equal(isLoginPage(page.text), false, 'that request had read its session before the end');
    assert.equal(await store.sessions.get(id), null, 'and did not bring it back');
    assert.equal(isLoginPage((await laptop.get('/')).text), true);
  });
});
