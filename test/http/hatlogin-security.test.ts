import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE } from '../../src/http/session.js';
import { FormClient, valueOf } from '../support/forms.js';
import { answer, approvalPage, flowPath, logInThroughPage, setCookie, startWithStore } from '../support/hatlogin.js';
import type { Reply } from '../support/http.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const REDIRECT = 'https://app.example.com/cb';

let server: TestServer;
let stop: () => Promise<void>;

before(async () => {
  ({ server, stop } = await startWithStore());
  for (const name of ['alice', 'bob', 'carol', 'dave']) await server.createHat(name);
});
after(() => stop());

async function hatloginEntries(hat: string) {
  return (await server.services.activity.page(hat, 1, 100)).entries.filter((e) => e.via === 'hatlogin');
}

/** SPEC 6.7 headers, asserted the same way on every page of the flow. */
function assertPageHeaders(reply: Reply, what: string): void {
  const csp = String(reply.headers['content-security-policy'] ?? '');
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.match(csp, /script-src 'self'/, what);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.equal(reply.headers['x-frame-options'], 'DENY', what);
  assert.equal(reply.headers['cache-control'], 'no-store', what);
  assert.equal(reply.headers['referrer-policy'], 'no-referrer', what);
  assert.doesNotMatch(reply.text, /<script(?![^>]*\ssrc=)[^>]*>/i, `${what}: no inline script`);
  assert.doesNotMatch(reply.text, /\sstyle=|<style/i, `${what}: no inline style`);
  assert.doesNotMatch(reply.text, /\son[a-z]+=/i, `${what}: no inline event handler`);
  assert.doesNotMatch(reply.text, /https?:\/\/(?!app\.example\.com)[^"'\s<]*\.(css|js|woff2?)/i, `${what}: nothing from elsewhere`);
}

describe('Every form of the flow needs its CSRF token (SPEC 6.4)', () => {
  it('refuses the login form without a token or with a wrong one (403), without checking the password', async () => {
    const browser = new FormClient(server, 'alice');
    await browser.get(flowPath('App', REDIRECT));
    for (const _csrf of [null, '', 'forged-token', `${browser.csrf}x`]) {
      const reply = await browser.post('/hatlogin/login', { _csrf, name: 'App', redirect: REDIRECT, password: STRONG_PASSWORD });
      assert.equal(reply.status, 403, `token ${String(_csrf)}`);
      assert.equal(reply.headers.location, undefined);
      assert.match(reply.text, /Error 403: Forbidden/);
    }
    assert.deepEqual(await hatloginEntries('alice'), [], 'no login happened and no password was checked');
  });

  it("refuses another session's token", async () => {
    const mallory = new FormClient(server, 'alice');
    await mallory.get(flowPath('App', REDIRECT));
    const victim = new FormClient(server, 'alice');
    await victim.get(flowPath('App', REDIRECT));
    const reply = await victim.post('/hatlogin/login', { _csrf: mallory.csrf, name: 'App', redirect: REDIRECT, password: STRONG_PASSWORD });
    assert.equal(reply.status, 403);
  });

  it('refuses approve, deny and logout without a valid token, and changes nothing', async () => {
    const browser = new FormClient(server, 'bob');
    const page = await approvalPage(browser, 'App', REDIRECT);
    const pending = valueOf(page.text, 'pending')!;
    for (const path of ['/hatlogin/approve', '/hatlogin/deny', '/hatlogin/logout']) {
      for (const _csrf of [null, 'forged-token']) {
        const reply = await browser.post(path, { _csrf, pending, name: 'App', redirect: REDIRECT });
        assert.equal(reply.status, 403, `${path} with ${String(_csrf)}`);
        assert.equal(reply.headers.location, undefined);
      }
    }
    assert.ok(!(await hatloginEntries('bob')).some((e) => e.type === 'approval' || e.type === 'denial' || e.type === 'logout'));
    const still = await answer(browser, page, 'approve');
    assert.equal(still.status, 303, 'the refused posts did not use up the approval page');
    assert.match(still.headers.location!, /^https:\/\/app\.example\.com\/cb\?token=/);
  });

  it('refuses a form posted by a login page shown before the login (the token changes at login)', async () => {
    const browser = new FormClient(server, 'bob');
    await browser.get(flowPath('Other', REDIRECT));
    const before = browser.csrf;
    const page = await approvalPage(browser, 'Other', REDIRECT);
    assert.notEqual(browser.csrf, before);
    const reply = await browser.post('/hatlogin/approve', { _csrf: before, pending: valueOf(page.text, 'pending')! });
    assert.equal(reply.status, 403);
  });
});

describe('The session cookie (SPEC 6.7)', () => {
  it('is HttpOnly, SameSite=Lax, host-only, not Secure over http, and holds only an identifier', async () => {
    // SPEC 7 / issue 11 (finding 5): the login page stores no session; its form is protected by a
    // stateless double-submit cookie, and the session cookie is set at login.
    const browser = new FormClient(server, 'alice');
    const page = await browser.get(flowPath('App', REDIRECT));
    assert.ok(!setCookie(page, SESSION_COOKIE), 'the login page starts no session');
    for (const line of page.headers['set-cookie'] ?? []) assert.match(line.toLowerCase(), /httponly/);
    const login = await browser.post('/hatlogin/login', { name: 'App', redirect: REDIRECT, password: STRONG_PASSWORD });
    assert.equal(login.status, 303);
    const cookie = setCookie(login, SESSION_COOKIE);
    assert.ok(cookie, 'the login starts the session');
    assert.ok(cookie.attributes.includes('httponly'));
    assert.ok(cookie.attributes.includes('samesite=lax'));
    assert.ok(!cookie.attributes.includes('secure'));
    assert.ok(!cookie.attributes.some((a) => a.startsWith('domain=')), 'host-only: never shared with other HATs');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/, 'a random identifier, not session data');
    for (const line of login.headers['set-cookie'] ?? []) assert.match(line.toLowerCase(), /httponly/);
  });

  it('is Secure when the cluster is served over https behind a trusted proxy', async () => {
    const https = await startTestServer({ PUBLIC_SCHEME: 'https', TRUST_PROXY: 'true' });
    try {
      await https.createHat('alice');
      const page = await https.call('alice', flowPath('App', REDIRECT), { headers: { 'x-forwarded-proto': 'https' } });
      assert.equal(page.status, 200);
      const lines = page.headers['set-cookie'] ?? [];
      assert.ok(lines.length > 0);
      for (const line of lines) {
        const attributes = line.toLowerCase().split(';').map((a) => a.trim());
        assert.ok(attributes.includes('secure'), line);
        assert.ok(attributes.includes('httponly'), line);
        assert.ok(attributes.includes('samesite=lax'), line);
      }
      assert.match(page.headers['strict-transport-security'] ?? '', /max-age=/);
    } finally {
      await https.stop();
    }
  });

  it('is renewed at login: the identifier from before the login is not logged in', async () => {
    // The login page stores no session now, so a session that exists before a login is one from an
    // earlier login in the same browser: logging in again must replace it, not reuse it.
    const browser = new FormClient(server, 'carol');
    await logInThroughPage(browser, 'App', REDIRECT);
    const page = await browser.get(flowPath('App', 'https://fresh.example.com/'));
    assert.match(page.text, /id="approve-title"/);
    const before = /hat_session=([^;]+)/.exec(browser.cookieHeader)![1];
    const sig = /hat_session\.sig=([^;]+)/.exec(browser.cookieHeader)![1];
    const login = await browser.post('/hatlogin/login', { name: 'App', redirect: REDIRECT, password: STRONG_PASSWORD });
    assert.equal(login.status, 303);
    const after = setCookie(login, SESSION_COOKIE);
    assert.ok(after && after.value !== '' && after.value !== before, 'a new identifier is set at login');

    const reply = await server.call('carol', flowPath('App', REDIRECT), {
      headers: { cookie: `${SESSION_COOKIE}=${before}; ${SESSION_COOKIE}.sig=${sig}` },
    });
    assert.equal(reply.status, 200);
    assert.match(reply.text, /id="login-title"/, 'the old identifier shows the login page, not the approval page');
  });

  it('means nothing on another HAT', async () => {
    const browser = new FormClient(server, 'alice');
    const login = await logInThroughPage(browser, 'App', REDIRECT);
    assert.equal(login.status, 303);
    const onAlice = await server.call('alice', flowPath('App', 'https://fresh.example.com/'), { headers: { cookie: browser.cookieHeader } });
    assert.match(onAlice.text, /id="approve-title"/, "alice's cookie is logged in on alice's HAT");
    const onBob = await server.call('bob', flowPath('App', 'https://fresh.example.com/'), { headers: { cookie: browser.cookieHeader } });
    assert.equal(onBob.status, 200);
    assert.match(onBob.text, /id="login-title"/, "alice's cookie is not logged in on bob's HAT");
    assert.doesNotMatch(onBob.text, /id="approve-title"/);
  });

  it('is no longer logged in once logged out, even when replayed', async () => {
    const browser = new FormClient(server, 'dave');
    const page = await approvalPage(browser, 'App', REDIRECT);
    const stolen = browser.cookieHeader;
    const out = await browser.post('/hatlogin/logout', { name: 'App', redirect: REDIRECT });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, flowPath('App', REDIRECT));
    assert.equal(setCookie(out, SESSION_COOKIE)?.value, '', 'the browser is told to forget the cookie');

    const replayed = await server.call('dave', flowPath('App', REDIRECT), { headers: { cookie: stolen } });
    assert.equal(replayed.status, 200);
    assert.match(replayed.text, /id="login-title"/, 'the replayed cookie shows the login page');
    const approve = await server.call('dave', '/hatlogin/approve', {
      method: 'POST',
      headers: { cookie: stolen, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: browser.csrf, pending: valueOf(page.text, 'pending')!, name: 'App', redirect: REDIRECT }).toString(),
    });
    assert.equal(approve.status, 303);
    assert.equal(approve.headers.location, flowPath('App', REDIRECT), 'it only starts the flow again');
    assert.ok(!(await hatloginEntries('dave')).some((e) => e.type === 'approval'));
    assert.ok((await hatloginEntries('dave')).some((e) => e.type === 'logout'), 'the logout is in the activity log');
  });

  it('writes a logout to the activity log only for a session that was logged in', async () => {
    const stranger = new FormClient(server, 'carol');
    const page = await stranger.get(flowPath('App', REDIRECT));
    assert.match(page.text, /id="login-title"/);
    const before = (await hatloginEntries('carol')).filter((e) => e.type === 'logout').length;
    const out = await stranger.post('/hatlogin/logout', { name: 'App', redirect: REDIRECT });
    assert.equal(out.status, 303);
    const after = (await hatloginEntries('carol')).filter((e) => e.type === 'logout').length;
    assert.equal(after, before, 'nobody was logged in, so nothing logged out');
  });

  it('ends when the password changes', async () => {
    const { server: own, stop: stopOwn } = await startWithStore();
    try {
      const { token } = await own.createHat('erin');
      const browser = new FormClient(own, 'erin');
      await logInThroughPage(browser, 'App', REDIRECT);
      const changed = await own.call('erin', '/control/v2/auth/password', {
        method: 'POST',
        headers: { 'x-auth-token': token },
        body: { password: STRONG_PASSWORD, newPassword: 'an entirely different passphrase' },
      });
      assert.equal(changed.status, 200);
      const after = await browser.get(flowPath('App', REDIRECT));
      assert.match(after.text, /id="login-title"/);
    } finally {
      await stopOwn();
    }
  });

  it('stays ended when a request running during the password change saves the old session back', async () => {
    const { server: own, store, stop: stopOwn } = await startWithStore();
    try {
      const { token } = await own.createHat('fred');
      const browser = new FormClient(own, 'fred');
      await logInThroughPage(browser, 'App', REDIRECT);
      // What a request that loaded the session before the change would write back after it.
      const sid = decodeURIComponent(/hat_session=([^;]+)/.exec(browser.cookieHeader)![1]!);
      const saved = await store.sessions.get(sid);
      assert.ok(saved, 'the logged-in session is in the store');
      const changed = await own.call('fred', '/control/v2/auth/password', {
        method: 'POST',
        headers: { 'x-auth-token': token },
        body: { password: STRONG_PASSWORD, newPassword: 'an entirely different passphrase' },
      });
      assert.equal(changed.status, 200);
      await store.sessions.set(saved);
      const after = await browser.get(flowPath('App', REDIRECT));
      assert.match(after.text, /id="login-title"/, 'a session from before the change is not logged in');
    } finally {
      await stopOwn();
    }
  });
});

describe('Security headers on every page of the flow (SPEC 6.7)', () => {
  it('sends them on the login page, the approval page, the wrong-password page and the error page', async () => {
    const browser = new FormClient(server, 'alice');
    assertPageHeaders(await browser.get(flowPath('Headers', REDIRECT)), 'login page');
    assertPageHeaders(await browser.post('/hatlogin/login', { name: 'Headers', redirect: REDIRECT, password: 'wrong' }), 'wrong password');
    assertPageHeaders(await approvalPage(browser, 'Headers', REDIRECT), 'approval page');
    assertPageHeaders(await browser.get(flowPath('Headers', 'http://evil.example.com/')), 'error page');
    const forbidden = await browser.post('/hatlogin/approve', { _csrf: 'nope', pending: 'x' });
    assert.equal(forbidden.status, 403);
    assertPageHeaders(forbidden, 'CSRF error page');
  });

  it('lets the pages post forms only to the HAT and to the service they name', async () => {
    const page = await server.call('alice', flowPath('App', 'https://app.example.com:8443/cb'));
    const formAction = /form-action ([^;]+)/.exec(String(page.headers['content-security-policy'] ?? ''))?.[1];
    assert.equal(formAction, "'self' https://app.example.com:8443");
    const other = await server.call('alice', '/publickey');
    assert.match(String(other.headers['content-security-policy'] ?? ''), /form-action 'self'(;|$)/);
  });
});
