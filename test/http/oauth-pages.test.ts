import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerApp } from '../support/apps.js';
import { FormClient, textOf, valueOf } from '../support/forms.js';
import type { Reply } from '../support/http.js';
import { authorizationRequest, discover, playBrowser } from '../support/oidc.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** The OAuth login and consent pages go the one page-form path (http/pages): re-render, consent offers. */
describe('OAuth interaction pages on the page-form path', () => {
  let server: TestServer;
  const REDIRECT = 'https://notes.example.com/callback';

  before(async () => {
    server = await startTestServer();
    await server.createHat('olga');
    await server.createHat('oskar');
    await registerApp(server, 'notes', [{ namespace: 'notes', access: 'write' }]);
  });
  after(() => server.stop());

  /** Follows the HAT's own redirects until it shows a page. */
  async function until200(browser: FormClient, start: string): Promise<{ reply: Reply; path: string }> {
    let path = start;
    for (let step = 0; step < 10; step++) {
      const reply = await browser.get(path);
      if (reply.status !== 303 && reply.status !== 302) return { reply, path };
      const next = new URL(String(reply.headers.location), `http://${server.hatHost('olga')}`);
      assert.equal(next.host, server.hatHost('olga'), 'stays on the HAT');
      path = next.pathname + next.search;
    }
    throw new Error('too many redirects');
  }

  it('shows the login page again after a wrong password, then consents only to the scopes the page listed', async () => {
    const config = await discover(server, 'olga', 'notes');
    const started = await authorizationRequest(config, { redirect_uri: REDIRECT, scope: 'openid profile' });
    const browser = new FormClient(server, 'olga');
    const login = await until200(browser, started.url.pathname + started.url.search);
    const uid = /action="\/oauth\/interaction\/([^/]+)\/login"/.exec(login.reply.text)![1]!;

    const wrong = await browser.post(`/oauth/interaction/${uid}/login`, { password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.equal(textOf(wrong.text, 'login-error'), 'That password is not right. Please try again.');
    assert.match(wrong.text, /<input type="password" id="password" name="password"[^>]*aria-invalid="true"/);

    const right = await browser.post(`/oauth/interaction/${uid}/login`, { password: STRONG_PASSWORD });
    assert.equal(right.status, 303);
    const consent = await until200(browser, new URL(String(right.headers.location), 'http://x').pathname);
    const confirm = /action="(\/oauth\/interaction\/[^/]+\/confirm)"/.exec(consent.reply.text)![1]!;
    const shown = valueOf(consent.reply.text, 'shown')!;
    assert.equal(shown, 'openid profile');
    // A registered client gets the neutral tag of SPEC 6.9, never a green "vetted" badge.
    assert.match(consent.reply.text, /<span class="tag" title="[^"]*">Registered on this server<\/span>/);
    assert.doesNotMatch(consent.reply.text, /Registered application|class="badge/);

    const other = await browser.post(confirm, { shown: 'email openid profile' });
    assert.equal(other.status, 409, 'an answer to other scopes than were shown is not consent');
    assert.match(other.text, /The request changed since this page was shown/);
    const again = await browser.post(confirm, { shown: valueOf(other.text, 'shown')! });
    assert.equal(again.status, 303, 'the page shown again is answered as shown');
  });

  it('asked again for more data, marks what is added "New" and what the grant holds "already allowed"', async () => {
    const config = await discover(server, 'oskar', 'notes');
    const browser = new FormClient(server, 'oskar');
    const pages: string[] = [];
    const first = await authorizationRequest(config, { redirect_uri: REDIRECT, scope: 'openid data:notes:read' });
    await playBrowser(browser, first.url, { onPage: (kind, reply) => kind === 'consent' && pages.push(reply.text) });
    assert.equal(pages.length, 1);
    assert.match(pages[0]!, /<span class="permission-text">See your notes data<\/span>\s*<span class="access read">read only<\/span>\s*<\/li>/, 'a first request marks nothing');
    assert.doesNotMatch(pages[0]!, /class="mark /);

    const more = await authorizationRequest(config, { redirect_uri: REDIRECT, scope: 'openid data:notes:read data:notes:write' });
    await playBrowser(browser, more.url, { onPage: (kind, reply) => kind === 'consent' && pages.push(reply.text) });
    assert.equal(pages.length, 2, 'more scopes than the grant holds: the consent page again');
    const again = pages[1]!;
    assert.match(again, /it now asks for more/);
    assert.match(again, /<span class="permission-text">That you own [^<]+<\/span>\s*<span class="mark allowed">already allowed<\/span>/);
    assert.match(again, /<li class="permission is-new">\s*<span class="permission-text">See, add and change your notes data<\/span>\s*<span class="access write">read and write<\/span>\s*<span class="mark new">New<\/span>/);
  });
});
