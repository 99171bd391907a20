import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { admin, appToken, enableApp, ownerCall, registerApp, validateToken } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { FormClient, valueOf } from '../support/forms.js';
import { approvalPage } from '../support/hatlogin.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A form post whose body is held back until `release`. */
function heldPost(server: TestServer, hat: string, path: string, cookie: string, body: string) {
  let release = () => {};
  const reply = new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: 'POST',
        setHost: false,
        headers: { host: server.hatHost(hat), cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    release = () => req.end(body);
  });
  return { reply, release: () => release() };
}

/** Waits for the start of a fresh second, so that what follows happens within one second. */
async function startOfSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 5);
}

describe('Approvals and revocations under races (issue 11, finding 11)', () => {
  let server: TestServer;
  let owner: string;
  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('racer')).token;
  });
  after(() => server.stop());

  const validates = async (token: string) =>
    (await server.call('racer', '/users/access_token/validate', { headers: { 'x-auth-token': token } })).status;

  it('eight concurrent posts of one approval page issue one token; the others are refused', async () => {
    const browser = new FormClient(server, 'racer');
    const page = await approvalPage(browser, 'Concurrent Site', 'https://concurrent.example/back');
    assert.equal(page.status, 200);
    // Each post sends its headers at once and its body only when all eight are in: every one
    // has read the session (which still lists the page) before any of them answers.
    const form = new URLSearchParams({ _csrf: browser.csrf, pending: valueOf(page.text, 'pending') ?? '' }).toString();
    const posts = Array.from({ length: 8 }, () => heldPost(server, 'racer', '/hatlogin/approve', browser.cookieHeader, form));
    await sleep(300);
    for (const p of posts) p.release();
    const replies = await Promise.all(posts.map((p) => p.reply));
    const withToken = replies.filter((r) => r.status === 303 && /[?&]token=/.test(r.headers.location ?? ''));
    assert.equal(withToken.length, 1, replies.map((r) => `${r.status} ${(r.headers.location ?? '').slice(0, 60)}`).join('\n'));
    for (const r of replies.filter((x) => !withToken.includes(x))) assert.equal(r.status, 400);
  });

  it('removing, registering again and enabling again within a second does not revive old application tokens', async () => {
    await registerApp(server, 'phoenix', [{ namespace: 'ashes', access: 'read' }]);
    await enableApp(server, 'racer', owner, 'phoenix');
    await startOfSecond();
    const old = await appToken(server, 'racer', owner, 'phoenix');
    assert.equal((await admin(server, 'DELETE', '/api/admin/applications/phoenix')).status, 200);
    assert.equal((await admin(server, 'POST', '/api/admin/applications', registrationFor('phoenix', [{ namespace: 'ashes', access: 'read' }]))).status, 201);
    const enabled = await ownerCall(server, 'racer', owner, 'POST', '/api/v2.6/applications/phoenix/setup');
    assert.equal(enabled.status, 200);
    assert.equal(await validates(old), 401, 'the token from before the removal came back');
    assert.equal(await validates(await appToken(server, 'racer', owner, 'phoenix')), 200);
  });

  it('revoking a website and approving it again within a second does not revive its old token', async () => {
    await startOfSecond();
    const old = await validateToken(server, 'racer', 'Phoenix Site');
    const services = server.services;
    const [approval] = (await services.approvals.list('racer')).filter((a) => a.name === 'Phoenix Site');
    await services.approvals.revoke('racer', approval!.id, { clientIp: '127.0.0.1' });
    const fresh = await validateToken(server, 'racer', 'Phoenix Site');
    assert.equal(await validates(old), 401, 'the token from before the revocation came back');
    assert.equal(await validates(fresh), 200);
  });
});
