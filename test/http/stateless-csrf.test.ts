import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FormClient } from '../support/forms.js';
import { flowPath } from '../support/hatlogin.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** Issue 11, finding 5: anonymous forms are protected without storing a session for each visitor. */
describe('Stateless CSRF for anonymous forms', () => {
  let server: TestServer;
  let sessionRows: () => number;
  before(async () => {
    server = await startTestServer();
    await server.createHat('quiet');
    await server.createHat('other');
    const db = new Database(path.join(server.dataDir, 'hat.sqlite'), { readonly: true, fileMustExist: true });
    sessionRows = () => Number(db.prepare('SELECT count(*) FROM sessions').pluck().get());
  });
  after(() => server.stop());

  it('cookieless GETs of the login pages and the sign-up form store no session', async () => {
    const before = sessionRows();
    for (let i = 0; i < 30; i++) {
      for (const [hat, p] of [['quiet', '/'], ['quiet', flowPath('Some Website', 'https://site.example/back')], [null, '/signup']] as const) {
        const reply = await server.call(hat, p, { headers: { accept: 'text/html' } });
        assert.equal(reply.status, 200);
        assert.match(reply.text, /name="_csrf" value="s1\./);
      }
    }
    assert.equal(sessionRows(), before);
  });

  it('the login form still works with the stateless token, and only the login stores a session', async () => {
    const before = sessionRows();
    const browser = new FormClient(server, 'quiet');
    await browser.get('/');
    assert.match(browser.cookieHeader, /hat_csrf=/);
    assert.doesNotMatch(browser.cookieHeader, /hat_session=/);
    assert.equal((await browser.post('/login', { password: STRONG_PASSWORD })).status, 303);
    assert.equal(sessionRows(), before + 1);
    // Logged in, the forms carry session-bound tokens again.
    assert.doesNotMatch((await browser.get('/')).text, /name="_csrf" value="s1\./);
  });

  it('refuses a stateless token without its cookie, with another nonce, or from another HAT', async () => {
    const browser = new FormClient(server, 'quiet');
    await browser.get('/');
    const token = browser.csrf;
    const cookie = browser.cookieHeader;
    const post = (hat: string, headers: Record<string, string>) =>
      server.call(hat, '/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
        body: new URLSearchParams({ _csrf: token, password: STRONG_PASSWORD }).toString(),
      });
    assert.equal((await post('quiet', {})).status, 403, 'no cookie');
    assert.equal((await post('quiet', { cookie: 'hat_csrf=AAAAAAAAAAAAAAAAAAAAAAAA' })).status, 403, 'another nonce');
    assert.equal((await post('other', { cookie })).status, 403, 'another HAT');
    assert.equal((await post('quiet', { cookie })).status, 303, 'its own cookie');
  });
});
