import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request, type Reply } from '../support/http.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** SPEC 2: the Host header alone chooses the cluster or one HAT; anything else is 404 and tells nothing. */

function assertJson404(reply: Reply, what: string): void {
  assert.equal(reply.status, 404, `${what}: expected 404, got ${reply.status} ${reply.text}`);
  assert.match(String(reply.headers['content-type']), /^application\/json/, what);
  assert.deepEqual(Object.keys(reply.json()).sort(), ['cause', 'message'], what);
}

function assertNothingOfAnyHat(reply: Reply, what: string): void {
  assert.doesNotMatch(reply.text, /BEGIN PUBLIC KEY|"kty"|accessToken|eyJ[\w-]+\./, `${what} leaks a HAT's key or token`);
  assert.equal(reply.headers['x-auth-token'], undefined, `${what} sends a token`);
}

/** Sends raw HTTP/1.1 text and returns the status line and body, for requests a client library would not make. */
function rawRequest(port: number, text: string): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type: (.*)$/im.exec(head)?.[1] ?? '';
      resolve({ status, body, contentType });
    });
    socket.write(text);
  });
}

describe('The Host header chooses the cluster or a HAT (SPEC 2)', () => {
  let server: TestServer;
  let aliceKey: string;

  before(async () => {
    server = await startTestServer();
    await server.createHat('alice');
    await server.createHat('bob');
    aliceKey = (await server.call('alice', '/publickey')).text;
    assert.match(aliceKey, /BEGIN PUBLIC KEY/);
  });
  after(() => server.stop());

  const at = (host: string, path: string, headers: Record<string, string> = {}) => request(server.port, host, path, { headers });

  it('serves a HAT at <name>.<HAT_DOMAIN>:<port>', async () => {
    const reply = await at(server.hatHost('alice'), '/publickey');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, aliceKey);
    assert.notEqual((await at(server.hatHost('bob'), '/publickey')).text, aliceKey, 'each host is its own HAT');
  });

  it('treats hat.localhost:<port> and localhost:<port> as the cluster', async () => {
    for (const host of [server.clusterHost, `localhost:${server.port}`, `127.0.0.1:${server.port}`]) {
      const health = await at(host, '/healthz');
      assert.equal(health.status, 200, `${host} /healthz`);
      // The cluster has no key of its own: /publickey belongs to HATs.
      assertJson404(await at(host, '/publickey'), `${host} /publickey`);
      const signup = await request(server.port, host, '/api/signup', { method: 'POST', body: {} });
      assert.equal(signup.status, 400, `${host} knows /api/signup`);
    }
  });

  it('answers 404 JSON on API paths for a host that is neither the cluster nor a known HAT', async () => {
    const hosts = [
      `nobody.hat.localhost:${server.port}`,
      `example.com`,
      `alice.example.com:${server.port}`,
      `alicehat.localhost:${server.port}`,
      `alice.hat.localhost.evil.com:${server.port}`,
      `hat.localhost.evil.com`,
      `alice-hat.localhost`,
      `127.0.0.2:${server.port}`,
    ];
    for (const host of hosts) {
      for (const path of ['/publickey', '/.well-known/jwks.json', '/users/access_token', '/api/v2.6/data/sources', '/healthz']) {
        const reply = await at(host, path, { username: 'alice', password: encodeURIComponent(STRONG_PASSWORD) });
        assertJson404(reply, `${host}${path}`);
        assertNothingOfAnyHat(reply, `${host}${path}`);
      }
    }
  });

  it('answers 404 with a page on browser paths for an unknown host', async () => {
    for (const path of ['/', '/hatlogin?name=x&redirect=https://example.com/', '/some/page']) {
      const reply = await at(`nobody.hat.localhost:${server.port}`, path, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
      assert.equal(reply.status, 404, path);
      assert.match(String(reply.headers['content-type']), /^text\/html/, path);
      assert.match(reply.text, /<html/i);
      assertNothingOfAnyHat(reply, path);
      assert.doesNotMatch(reply.text, /alice|bob/, 'an unknown host page names no existing HAT');
    }
  });

  it('escapes the host it names in the error page', async () => {
    const reply = await at(`x<script>alert(1)</script>.hat.localhost`, '/', { accept: 'text/html' });
    // Not a host name at all: refused as a malformed Host (issue 11), and still escaped.
    assert.equal(reply.status, 400);
    assert.doesNotMatch(reply.text, /<script>alert/);
  });

  it('does not answer for a nested name: a.bob.hat.localhost is unknown', async () => {
    for (const host of [`a.bob.hat.localhost:${server.port}`, `alice.bob.hat.localhost:${server.port}`, `www.alice.hat.localhost`]) {
      const reply = await at(host, '/publickey');
      assertJson404(reply, host);
      assertNothingOfAnyHat(reply, host);
    }
  });

  it('accepts a Host in upper case or with a trailing dot', async () => {
    for (const host of [`ALICE.HAT.LOCALHOST:${server.port}`, `Alice.Hat.Localhost:${server.port}`, `alice.hat.localhost.:${server.port}`]) {
      const reply = await at(host, '/publickey');
      assert.equal(reply.status, 200, host);
      assert.equal(reply.text, aliceKey, host);
    }
    for (const host of [`HAT.LOCALHOST:${server.port}`, `hat.localhost.:${server.port}`, `LOCALHOST:${server.port}`]) {
      assert.equal((await at(host, '/healthz')).status, 200, host);
      assertJson404(await at(host, '/publickey'), `${host} is the cluster`);
    }
  });

  it('ignores X-Forwarded-Host when TRUST_PROXY is off', async () => {
    const forwarded = { 'x-forwarded-host': server.hatHost('alice'), 'x-forwarded-proto': 'https' };
    assertJson404(await at(`nobody.hat.localhost:${server.port}`, '/publickey', forwarded), 'unknown Host, forwarded to alice');
    assertJson404(await at(server.clusterHost, '/publickey', forwarded), 'cluster Host, forwarded to alice');
    const bob = await at(server.hatHost('bob'), '/publickey', forwarded);
    assert.equal(bob.status, 200);
    assert.notEqual(bob.text, aliceKey, 'Host, not X-Forwarded-Host, chose the HAT');
  });

  it('answers 400 with a SPEC 3 body to a request without a Host header', async () => {
    const reply = await rawRequest(server.port, 'GET /publickey HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(reply.status, 400);
    assert.match(reply.contentType, /^application\/json/);
    assert.match(JSON.parse(reply.body).cause, /Host/);
  });

  it('answers 400 to a request with two Host headers rather than guessing which HAT is meant', async () => {
    const reply = await rawRequest(
      server.port,
      `GET /publickey HTTP/1.1\r\nHost: ${server.hatHost('alice')}\r\nHost: ${server.hatHost('bob')}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(reply.status, 400);
    assert.match(JSON.parse(reply.body).cause, /Host/);
    assert.doesNotMatch(reply.body, /BEGIN PUBLIC KEY/);
  });
});

describe('X-Forwarded-Host with TRUST_PROXY=true (SPEC 2)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ TRUST_PROXY: 'true' });
    await server.createHat('carol');
  });
  after(() => server.stop());

  it('chooses the HAT by X-Forwarded-Host behind a trusted proxy', async () => {
    const reply = await request(server.port, `127.0.0.1:${server.port}`, '/publickey', {
      headers: { 'x-forwarded-host': server.hatHost('carol'), 'x-forwarded-proto': 'https' },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.text, (await server.call('carol', '/publickey')).text);
  });

  it('still answers 404 when the forwarded host is unknown, whatever the Host', async () => {
    const reply = await request(server.port, server.hatHost('carol'), '/publickey', {
      headers: { 'x-forwarded-host': `nobody.hat.localhost:${server.port}` },
    });
    assertJson404(reply, 'forwarded to an unknown HAT');
    assertNothingOfAnyHat(reply, 'forwarded to an unknown HAT');
  });

  it('falls back to Host when no X-Forwarded-Host is sent', async () => {
    assert.equal((await server.call('carol', '/publickey')).status, 200);
  });
});

describe('Another HAT_DOMAIN (SPEC 2, 11)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ HAT_DOMAIN: 'hats.example.test' });
    await server.createHat('dora');
  });
  after(() => server.stop());

  it('serves HATs under the configured domain only', async () => {
    assert.equal(server.hatHost('dora'), `dora.hats.example.test:${server.port}`);
    assert.equal((await server.call('dora', '/publickey')).status, 200);
    assertJson404(await request(server.port, `dora.hat.localhost:${server.port}`, '/publickey'), 'the default domain');
    assert.equal((await request(server.port, `localhost:${server.port}`, '/healthz')).status, 200, 'localhost stays the cluster');
  });
});
