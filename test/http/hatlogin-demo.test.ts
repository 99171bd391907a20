import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemo, type RunningDemo } from '../../demo/server.js';
import { request } from '../support/http.js';
import { FormClient } from '../support/forms.js';
import { answer, approvalPage } from '../support/hatlogin.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let demo: RunningDemo;

before(async () => {
  server = await startTestServer();
  demo = await startDemo({ port: 0, hatDomain: 'hat.localhost' });
  await server.createHat('alice');
  await server.createHat('bob');
});
after(async () => {
  await demo.close();
  await server.stop();
});

/** A GET to the demo, as a browser that claimed `hat` on the demo's start page. */
function demoGet(path: string, claimedHat?: string) {
  return request(demo.port, `localhost:${demo.port}`, path, claimedHat ? { headers: { cookie: `demo_claimed_hat=${claimedHat}` } } : {});
}

/** A token that `hat` issues through the real flow for `redirect`. */
async function tokenFrom(hat: string, redirect: string): Promise<string> {
  const browser = new FormClient(server, hat);
  const approved = await answer(browser, await approvalPage(browser, 'HAT Login Demo', redirect), 'approve');
  return new URL(approved.headers.location!).searchParams.get('token')!;
}

describe('The demo website (npm run demo)', () => {
  it('sends the visitor to their HAT with its name and its own callback, remembering the claimed HAT', async () => {
    const reply = await demoGet(`/login?hat=${encodeURIComponent(`Alice.${server.hatHost('alice').slice('alice.'.length)}`)}`);
    assert.equal(reply.status, 303);
    const target = new URL(reply.headers.location!);
    assert.equal(target.host, server.hatHost('alice'));
    assert.equal(target.pathname, '/hatlogin');
    assert.equal(target.searchParams.get('name'), 'HAT Login Demo');
    assert.equal(target.searchParams.get('redirect'), `${demo.url}/callback`);
    assert.match(String(reply.headers['set-cookie']), new RegExp(`demo_claimed_hat=${server.hatHost('alice')};.*httponly`, 'i'));
  });

  it('refuses an address that is not a HAT under its domain', async () => {
    for (const hat of ['', 'not an address', 'evil.example.com']) {
      const reply = await demoGet(`/login?hat=${encodeURIComponent(hat)}`);
      assert.equal(reply.status, 400, hat);
      assert.match(reply.text, /role="alert"/);
    }
  });

  it('shows who logged in when the token checks out', async () => {
    const token = await tokenFrom('alice', `${demo.url}/callback`);
    const reply = await demoGet(`/callback?token=${token}`, server.hatHost('alice'));
    assert.equal(reply.status, 200);
    assert.match(reply.text, new RegExp(`You are logged in as ${server.hatHost('alice')}`));
  });

  it('refuses a token of another HAT than the one claimed', async () => {
    const token = await tokenFrom('bob', `${demo.url}/callback`);
    const reply = await demoGet(`/callback?token=${token}`, server.hatHost('alice'));
    assert.equal(reply.status, 401);
    assert.match(reply.text, /does not match|issued by another HAT/);
  });

  it('refuses a token issued for another website', async () => {
    const token = await tokenFrom('alice', 'https://elsewhere.example.com/callback');
    const reply = await demoGet(`/callback?token=${token}`, server.hatHost('alice'));
    assert.equal(reply.status, 401);
    assert.match(reply.text, /was issued for https:\/\/elsewhere\.example\.com\/callback, not for this website/);
  });

  it('refuses a malformed token, and says so when the visitor denied', async () => {
    const bad = await demoGet('/callback?token=not.a.jwt', server.hatHost('alice'));
    assert.equal(bad.status, 401);
    assert.match(bad.text, /The token is malformed/);
    const denied = await demoGet('/callback?error=access_denied', server.hatHost('alice'));
    assert.equal(denied.status, 200);
    assert.match(denied.text, /You did not approve this site/);
  });
});
