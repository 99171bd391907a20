import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oc from 'openid-client';
import { selfSigned, startChild } from '../support/cimd-site.js';
import { registrationFor as registration } from '../support/fixtures.js';
import { FormClient } from '../support/forms.js';
import { request, type RequestOptions } from '../support/http.js';
import { authorizationRequest, codeFlow, discover } from '../support/oidc.js';
import { STRONG_PASSWORD, type TestServer } from '../support/server.js';

const ADMIN_TOKEN = 'cimd-test-admin-token-0123456789';
/** The server's cap on reusing a document (OIDC_CIMD_CACHE_MAX_SECONDS), short so that a test can outlive it. */
const CACHE_CAP_SECONDS = 6;
/** Documents served with these Cache-Control headers, by path. */
const CACHING: Record<string, string> = {
  '/cached.json': 'public, max-age=60',
  '/no-store.json': 'no-store',
  '/max-age-0.json': 'max-age=0',
  // Usable only after revalidating, which the server never does: as good as no-store.
  '/no-cache.json': 'no-cache, max-age=600',
  '/forever.json': 'max-age=31536000',
};

/** SPEC 12: a website with no registration, identified by its Client ID Metadata Document. */
describe('OAuth Client ID Metadata Documents: a website served by the test on https://localhost', () => {
  let dir: string;
  let child: ChildProcess;
  let server: TestServer;
  let site: https.Server;
  let base: string;
  /** How many times the HAT server fetched each path. */
  const fetches = new Map<string, number>();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-cimd-'));
    const tls = selfSigned(dir);
    site = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const url = new URL(req.url ?? '/', base);
      const id = `${base}${url.pathname}`;
      const doc = { client_id: id, client_name: 'Recipe Box', redirect_uris: [`${base}/callback`], token_endpoint_auth_method: 'none' };
      fetches.set(url.pathname, (fetches.get(url.pathname) ?? 0) + 1);
      const caching = CACHING[url.pathname];
      if (caching) {
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', caching);
        return res.end(JSON.stringify(doc));
      }
      switch (url.pathname) {
        case '/client.json':
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify(doc));
        case '/big.json':
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify({ ...doc, client_name: 'x'.repeat(6000) }));
        case '/redirect.json':
          res.statusCode = 302;
          res.setHeader('location', `${base}/client.json`);
          return res.end();
        case '/not-json.json':
          res.setHeader('content-type', 'text/html');
          return res.end('<html>hello</html>');
        case '/other-id.json':
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify({ ...doc, client_id: `${base}/client.json` }));
        case '/slow.json':
          setTimeout(() => res.end(JSON.stringify(doc)), 4000).unref();
          return;
        default:
          res.statusCode = 404;
          return res.end();
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    base = `https://localhost:${(site.address() as AddressInfo).port}`;
    const started = await startChild(path.join(dir, 'data'), tls.certFile, ADMIN_TOKEN, { SCRYPT_LOG2N: '10', OIDC_CIMD_CACHE_MAX_SECONDS: String(CACHE_CAP_SECONDS) });
    child = started.child;
    const hatDomain = `hat.localhost:${started.port}`;
    const call = (name: string | null, p: string, options?: RequestOptions) => request(started.port, name ? `${name}.${hatDomain}` : hatDomain, p, options);
    server = { call, hatHost: (name: string) => `${name}.${hatDomain}`, port: started.port } as unknown as TestServer;
    const signup = await call(null, '/api/signup', {
      method: 'POST',
      body: { username: 'carol', email: 'carol@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD, fullName: 'Carol' },
    });
    assert.equal(signup.status, 201, signup.text);
    const app = await call(null, '/api/admin/applications', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: registration('diary', [{ namespace: 'diary', access: 'read' }]),
    });
    assert.equal(app.status, 201, app.text);
  });

  after(async () => {
    child?.kill('SIGTERM');
    site?.close();
    site?.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs a website in with openid profile email: the consent page leads with its host and marks its name as self-given', async () => {
    const clientId = `${base}/client.json`;
    const config = await discover(server, 'carol', clientId);
    let consent = '';
    const tokens = await codeFlow(config, new FormClient(server, 'carol'), { redirect_uri: `${base}/callback`, scope: 'openid profile email' }, {
      onPage: (kind, reply) => {
        if (kind === 'consent') consent = reply.text;
      },
    });
    const claims = tokens.claims()!;
    assert.equal(claims.preferred_username, 'carol');
    assert.equal(claims.email, 'carol@example.com');
    const host = new URL(base).host;
    assert.ok(consent.indexOf(host) < consent.indexOf('Recipe Box'), 'the host comes before the self-given name');
    assert.match(consent, /calls itself “<span class="service-name">Recipe Box<\/span>”/);
    assert.match(consent, /Not registered on this server/);
    assert.equal((await oc.fetchUserInfo(config, tokens.access_token, claims.sub)).email, 'carol@example.com');
    assert.equal(fetches.get('/client.json'), 1, 'a document with no caching terms is reused briefly (30 s) within one login');
    // Its token gives no access to data.
    const dataReply = await server.call('carol', '/api/v2.6/data/notes/x', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(dataReply.status, 403);
  });

  it('refuses anything beyond openid profile email for such a website: data scopes (invalid_scope), refresh tokens (none given)', async () => {
    const clientId = `${base}/client.json`;
    const config = await discover(server, 'carol', clientId);
    const started = await authorizationRequest(config, { redirect_uri: `${base}/callback`, scope: 'openid data:diary:read' });
    const reply = await server.call('carol', started.url.pathname + started.url.search);
    assert.equal(reply.status, 303);
    const to = new URL(String(reply.headers.location));
    assert.equal(to.origin, base);
    assert.equal(to.searchParams.get('error'), 'invalid_scope');
    assert.equal(to.searchParams.get('state'), started.state);
    const tokens = await codeFlow(config, new FormClient(server, 'carol'), { redirect_uri: `${base}/callback`, scope: 'openid offline_access', prompt: 'consent' });
    assert.equal(tokens.refresh_token, undefined);
  });

  /** Two authorizations (code flows) of the same browser, already logged in and approved for the second. */
  async function twoAuthorizations(file: string): Promise<[number, number]> {
    const config = await discover(server, 'carol', `${base}${file}`);
    const browser = new FormClient(server, 'carol');
    const params = { redirect_uri: `${base}/callback`, scope: 'openid' };
    await codeFlow(config, browser, params);
    const first = fetches.get(file) ?? 0;
    await codeFlow(config, browser, params);
    return [first, fetches.get(file) ?? 0];
  }

  it('reuses a document within its Cache-Control max-age: fetched once for two authorizations', async () => {
    assert.deepEqual(await twoAuthorizations('/cached.json'), [1, 1]);
  });

  for (const file of ['/no-store.json', '/max-age-0.json', '/no-cache.json']) {
    it(`fetches a document served with ${CACHING[file]} every time it is needed`, async () => {
      const [first, total] = await twoAuthorizations(file);
      assert.ok(first >= 2, `the first authorization and its code exchange each fetched it (${first})`);
      assert.ok(total - first >= 2, `so did the second (${total - first})`);
    });
  }

  it(`reuses a document with a huge max-age for at most OIDC_CIMD_CACHE_MAX_SECONDS (${CACHE_CAP_SECONDS} s here)`, async () => {
    assert.deepEqual(await twoAuthorizations('/forever.json'), [1, 1]);
    await new Promise((resolve) => setTimeout(resolve, CACHE_CAP_SECONDS * 1000 + 300));
    const config = await discover(server, 'carol', `${base}/forever.json`);
    await codeFlow(config, new FormClient(server, 'carol'), { redirect_uri: `${base}/callback`, scope: 'openid' });
    assert.equal(fetches.get('/forever.json'), 2, 'fetched again once the cap passed, then reused');
  });

  for (const [file, why] of [
    ['big.json', /larger than 5 KB/],
    ['redirect.json', /redirect/],
    ['not-json.json', /not JSON/],
    ['other-id.json', /client_id/],
    ['slow.json', /3 seconds|too long/],
  ] as const) {
    it(`refuses a metadata document (${file}) with a clear page on the HAT, never a redirect`, async () => {
      const clientId = `${base}/${file}`;
      const config = await discover(server, 'carol', clientId);
      const started = await authorizationRequest(config, { redirect_uri: `${base}/callback`, scope: 'openid' });
      const reply = await server.call('carol', started.url.pathname + started.url.search, { headers: { accept: 'text/html' } });
      assert.equal(reply.status, 400, reply.text.slice(0, 300));
      assert.equal(reply.headers.location, undefined);
      assert.match(reply.text, why);
    });
  }
});
