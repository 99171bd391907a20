import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { FormClient, unescape } from '../support/forms.js';
import { answer, approvalPage, logInThroughPage, verifyAsRelyingParty } from '../support/hatlogin.js';
import type { Reply } from '../support/http.js';
import { codeFlow, discover, HOP } from '../support/oidc.js';
import { startTestServer, type TestServer } from '../support/server.js';

/*
 * Issue 11, finding 9: a service on an IPv6 literal (`http://[::1]:<port>`) cannot be named in
 * CSP form-action, so our forms' answers go to it by a hop page of ours (/continue/<id>). The hop
 * carries no token in its address, works once, for the browser whose form made it, and is never
 * cached; every other service still gets its direct 303.
 */
describe('The hop page before a service CSP cannot name', () => {
  let server: TestServer;
  const V6 = 'http://[::1]:8765/cb?state=s1';

  before(async () => {
    server = await startTestServer();
    await server.createHat('hopper');
  });
  after(() => server.stop());

  /** The hop's id from a form's answer; asserts the answer is a 303 to our own hop page and nothing else. */
  function hopOf(reply: Reply): string {
    assert.equal(reply.status, 303);
    const location = String(reply.headers.location);
    const m = /^\/continue\/([A-Za-z0-9_-]{22})$/.exec(location);
    assert.ok(m, `the answer goes to our hop page, not ${location}`);
    return m[1]!;
  }

  /** Where a hop page sends the browser: its meta refresh, which its link repeats. */
  function targetOf(page: Reply): string {
    const refresh = HOP.exec(page.text);
    assert.ok(refresh, 'the hop page has a meta refresh');
    const to = unescape(refresh[1]!);
    assert.ok(page.text.includes(`href="${refresh[1]}"`), 'and a link to the same place');
    return to;
  }

  it('Approve: a 303 to /continue/<id> with no token, then a one-time no-store page on to the service with the token', async () => {
    const browser = new FormClient(server, 'hopper');
    const page = await approvalPage(browser, 'Loopback Six', V6);
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /form-action 'self';/, 'an origin CSP cannot name is left out of form-action');
    assert.ok(!csp.includes('['), csp);

    const id = hopOf(await answer(browser, page, 'approve'));
    const hop = await browser.get(`/continue/${id}`);
    assert.equal(hop.status, 200);
    assert.equal(hop.headers['cache-control'], 'no-store');
    assert.equal(hop.headers['referrer-policy'], 'no-referrer');
    assert.match(hop.text, /Continue to \[::1\]:8765/);
    assert.ok(!/<script(?![^>]*\ssrc=)/.test(hop.text), 'no inline script');
    const to = new URL(targetOf(hop));
    assert.equal(`${to.origin}${to.pathname}`, 'http://[::1]:8765/cb');
    assert.equal(to.searchParams.get('state'), 's1');
    const claims = await verifyAsRelyingParty(server, 'hopper', to.searchParams.get('token')!);
    assert.equal(claims.resource, 'http://[::1]:8765/cb?state=s1');

    const again = await browser.get(`/continue/${id}`);
    assert.equal(again.status, 404, 'the hop is taken once');
    assert.ok(!again.text.includes('token='));
  });

  it('refuses a hop without the session that made it, and an id it never made, without using it up', async () => {
    const browser = new FormClient(server, 'hopper');
    const page = await approvalPage(browser, 'Denied Six', V6);
    const id = hopOf(await answer(browser, page, 'deny'));

    const stranger = new FormClient(server, 'hopper');
    await logInThroughPage(stranger, 'Denied Six', V6); // logged in too, on this HAT: still not its hop
    for (const other of [stranger, new FormClient(server, 'hopper')]) {
      const refused = await other.get(`/continue/${id}`);
      assert.equal(refused.status, 404);
      assert.ok(!refused.text.includes('[::1]:8765/cb'), 'nothing about the destination is shown');
    }
    assert.equal((await browser.get('/continue/AAAAAAAAAAAAAAAAAAAAAA')).status, 404);
    assert.equal((await browser.get('/continue/__proto__')).status, 404);

    const hop = await browser.get(`/continue/${id}`);
    assert.equal(hop.status, 200);
    assert.equal(targetOf(hop), 'http://[::1]:8765/cb?state=s1&error=access_denied');
  });

  it('a remembered approval after the login form also hops; every other service keeps its direct 303', async () => {
    const first = new FormClient(server, 'hopper');
    hopOf(await answer(first, await approvalPage(first, 'Remembered Six', V6), 'approve'));
    const second = new FormClient(server, 'hopper');
    const login = await logInThroughPage(second, 'Remembered Six', V6);
    const again = await second.get(String(login.headers.location));
    const hop = await second.get(`/continue/${hopOf(again)}`);
    assert.match(targetOf(hop), /^http:\/\/\[::1\]:8765\/cb\?state=s1&token=/);

    for (const direct of ['http://127.0.0.1:8765/cb', 'http://localhost:8765/cb', 'https://shop.example.com/cb']) {
      const browser = new FormClient(server, 'hopper');
      const page = await approvalPage(browser, 'Direct', direct);
      assert.match(String(page.headers['content-security-policy']), new RegExp(`form-action 'self' ${new URL(direct).origin.replace(/\./g, '\\.')};`));
      const reply = await answer(browser, page, 'approve');
      assert.equal(reply.status, 303);
      assert.ok(String(reply.headers.location).startsWith(`${direct}?token=`), String(reply.headers.location));
    }
  });

  it('OAuth: the consent goes by the hop to the provider, which then redirects to the [::1] website with the code', async () => {
    const registered = await admin(server, 'POST', '/api/admin/applications', registrationFor('six-oidc', [], { redirectUris: ['http://[::1]:8765/callback'] }));
    assert.equal(registered.status, 201, registered.text);
    const config = await discover(server, 'hopper', 'six-oidc');
    const browser = new FormClient(server, 'hopper');
    const visited: string[] = [];
    const get = browser.get.bind(browser);
    browser.get = async (path, headers) => {
      const reply = await get(path, headers);
      if (path.startsWith('/continue/')) visited.push(targetOf(reply));
      return reply;
    };
    const tokens = await codeFlow(config, browser, { redirect_uri: 'http://[::1]:8765/callback', scope: 'openid' });
    assert.ok(tokens.claims()?.sub);
    // Login (then consent) each hopped, to the provider's resume endpoint on the HAT: no code in our pages.
    assert.ok(visited.length >= 1, 'the flow went by the hop page');
    for (const to of visited) assert.match(to, new RegExp(`^http://${server.hatHost('hopper')}/oauth/authorize/[A-Za-z0-9_-]+$`));
  });
});
