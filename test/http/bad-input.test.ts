import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';
import type { Reply } from '../support/http.js';
import { FormClient } from '../support/forms.js';

/**
 * SPEC 3: every bad input gets `{"message", "cause"}` with the fitting status, loses nothing and
 * leaves the server answering. The two JSON endpoints of the core (sign-up on the cluster, the
 * password change on a HAT) are held to the same rules.
 */

interface Target {
  title: string;
  send(body: string | Buffer | undefined, headers?: Record<string, string>): Promise<Reply>;
  /** A field the endpoint expects as a string. */
  field: string;
  /** A valid-looking body, so that only the part under test is wrong. */
  body(): Record<string, unknown>;
  host(): string;
  path: string;
  headers(): Record<string, string>;
}

function assertSpecError(reply: Reply, status: number, cause?: RegExp): void {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`);
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  const body = reply.json<Record<string, unknown>>();
  assert.deepEqual(Object.keys(body).sort(), ['cause', 'message']);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.cause, 'string');
  assert.ok((body.message as string).length > 0 && (body.cause as string).length > 0);
  if (cause) assert.match(body.cause as string, cause);
}

interface UploadAnswer {
  status: number;
  text: string;
  connection: string | undefined;
}

/**
 * A JSON POST to `host` whose body the caller writes; `onAnswer` gets the server's whole answer,
 * after which the request is destroyed (whatever of the body was still unsent).
 */
function upload(port: number, host: string, path: string, headers: Record<string, string>, onAnswer: (answer: UploadAnswer) => void): http.ClientRequest {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    setHost: false,
    headers: { host, 'content-type': 'application/json', ...headers },
  });
  req.on('response', (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      onAnswer({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), connection: res.headers.connection });
      req.destroy();
    });
  });
  return req;
}

/** Sends the headers and only `sent` bytes of a body announced as `announced` bytes, then waits for the answer. */
function partialUpload(port: number, host: string, path: string, headers: Record<string, string>, announced: number, sent: number) {
  return new Promise<UploadAnswer>((resolve, reject) => {
    const req = upload(port, host, path, { 'content-length': String(announced), ...headers }, resolve);
    req.on('error', reject);
    req.write(Buffer.alloc(sent, 0x20));
    // No req.end(): the rest of the body never comes, so only an early answer resolves this.
  });
}

/** Streams a chunked body of up to `total` bytes, stopping as soon as the server answers. */
function chunkedUpload(port: number, host: string, path: string, headers: Record<string, string>, total: number) {
  return new Promise<UploadAnswer>((resolve, reject) => {
    let sentBytes = 0;
    let answered = false;
    const req = upload(port, host, path, { 'transfer-encoding': 'chunked', ...headers }, resolve);
    req.on('response', () => {
      answered = true;
    });
    // Once the server has answered it may close the connection under our feet: that is fine.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pump = () => {
      while (!answered && sentBytes < total) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('Bad input to the JSON endpoints gets a SPEC 3 error (SPEC 3, 5, 9)', () => {
  let server: TestServer;
  let ownerToken: string;

  before(async () => {
    server = await startTestServer();
    ownerToken = (await server.createHat('badinput')).token;
  });
  after(() => server.stop());

  const targets: Target[] = [
    {
      title: 'POST /api/signup',
      path: '/api/signup',
      field: 'username',
      host: () => server.clusterHost,
      headers: () => ({}),
      body: () => ({ username: 'nobody', email: 'nobody@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD }),
      send: (body, headers = {}) => server.call(null, '/api/signup', { method: 'POST', body: body ?? '', headers }),
    },
    {
      title: 'POST /control/v2/auth/password',
      path: '/control/v2/auth/password',
      field: 'newPassword',
      host: () => server.hatHost('badinput'),
      headers: () => ({ 'x-auth-token': ownerToken }),
      body: () => ({ password: STRONG_PASSWORD, newPassword: 'another strong passphrase here' }),
      send: (body, headers = {}) =>
        server.call('badinput', '/control/v2/auth/password', {
          method: 'POST',
          body: body ?? '',
          headers: { 'x-auth-token': ownerToken, ...headers },
        }),
    },
  ];
  const asJson = { 'content-type': 'application/json' };

  afterEach(() => {
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });

  for (const t of targets) {
    describe(t.title, () => {
      it('answers 400 with a SPEC 3 body to malformed JSON', async () => {
        for (const text of ['{"username": ', '{username: "x"}', "{'a': 1}", '{"a": 1,}', 'nul', '\u0000']) {
          assertSpecError(await t.send(text, asJson), 400, /JSON/);
        }
      });

      it('answers 415 to a body that is not sent as JSON', async () => {
        const json = JSON.stringify(t.body());
        assertSpecError(await t.send(json, { 'content-type': 'text/plain' }), 415);
        assertSpecError(await t.send(new URLSearchParams({ a: 'b' }).toString(), { 'content-type': 'application/x-www-form-urlencoded' }), 415);
        assertSpecError(await t.send('--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }), 415);
      });

      it('answers 400 to an empty body', async () => {
        assertSpecError(await t.send('', asJson), 400, /empty/i);
        assertSpecError(await t.send('   \n', asJson), 400, /empty/i);
      });

      it('answers 400 to a JSON value that is not an object', async () => {
        for (const text of ['[]', '"text"', '42', 'null', 'true']) {
          const reply = await t.send(text, asJson);
          assertSpecError(reply, 400);
        }
      });

      it('answers 413 to a 2 MB body without waiting for the rest of it', async () => {
        const reply = await partialUpload(server.port, t.host(), t.path, t.headers(), 2 * 1024 * 1024, 16 * 1024);
        assert.equal(reply.status, 413, reply.text);
        assert.deepEqual(Object.keys(JSON.parse(reply.text)).sort(), ['cause', 'message']);
        assert.equal(reply.connection, 'close', 'the unread rest of the body must not be taken for a next request');
        assert.equal((await server.call(null, '/healthz')).status, 200, 'the server still answers');
      });

      it('answers 413 to an oversized chunked body, stopping long before its end', async () => {
        const total = 2 * 1024 * 1024;
        const reply = await chunkedUpload(server.port, t.host(), t.path, t.headers(), total);
        assert.equal(reply.status, 413, reply.text);
        assert.match(JSON.parse(reply.text).cause, /at most/);
        assert.equal(reply.connection, 'close', 'the unread rest of the body must not be taken for a next request');
        assert.equal((await server.call(null, '/healthz')).status, 200, 'the server still answers');
      });

      it('refuses a __proto__ key with 400 and pollutes nothing', async () => {
        const text = `{"__proto__": {"polluted": "yes"}, ${JSON.stringify(t.body()).slice(1)}`;
        assertSpecError(await t.send(text, asJson), 400, /__proto__|forbidden/);
        const nested = JSON.stringify({ ...t.body(), extra: { a: 1 } }).replace('"a":1', '"__proto__":{"polluted":"yes"}');
        assertSpecError(await t.send(nested, asJson), 400, /__proto__|forbidden/);
      });

      it('refuses a constructor.prototype key with 400 and pollutes nothing', async () => {
        const text = JSON.stringify({ constructor: { prototype: { polluted: 'yes' } }, ...t.body() });
        assertSpecError(await t.send(text, asJson), 400, /constructor|forbidden/);
      });

      it(`answers 400 naming the field to an operator object in place of a string`, async () => {
        for (const operator of [{ $ne: null }, { $gt: '' }, { $regex: '.*' }]) {
          const reply = await t.send(JSON.stringify({ ...t.body(), [t.field]: operator }), asJson);
          assertSpecError(reply, 400, new RegExp(t.field));
        }
      });

      it('answers 400 naming the field to a deeply nested value, and keeps answering', async () => {
        const arrays = '['.repeat(20_000) + ']'.repeat(20_000);
        const objects = '{"a":'.repeat(9_000) + '1' + '}'.repeat(9_000);
        for (const nested of [arrays, objects]) {
          const text = JSON.stringify({ ...t.body(), [t.field]: 0, constructor: { x: 1 } }).replace(`"${t.field}":0`, `"${t.field}":${nested}`);
          assertSpecError(await t.send(text, asJson), 400, new RegExp(t.field));
        }
      });

      it('answers 400 naming the field to an array, a number, a boolean or null in place of a string', async () => {
        for (const value of [['x'], 12345, true, null]) {
          const reply = await t.send(JSON.stringify({ ...t.body(), [t.field]: value }), asJson);
          assertSpecError(reply, 400, new RegExp(t.field));
        }
      });
    });
  }

  it('changes nothing when a password change is refused for bad input', async () => {
    // Every request above was refused, so the original password still logs in.
    const token = await server.ownerToken('badinput');
    assert.ok(token.length > 0);
  });

  it('creates nothing when a sign-up is refused for bad input', async () => {
    const reply = await server.call('nobody', '/healthz');
    assert.equal(reply.status, 404, 'no HAT "nobody" was created');
  });
});

describe('Requests the HTTP layer refuses (SPEC 3)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.createHat('refusals');
  });
  after(() => server.stop());

  it('answers 431 with a SPEC 3 JSON body to a 20 KB header', async () => {
    const reply = await server.call(null, '/healthz', { headers: { 'x-padding': 'a'.repeat(20 * 1024) } });
    assertSpecError(reply, 431);
    assert.equal((await server.call(null, '/healthz')).status, 200, 'the server still answers');
  });

  it('answers 404 JSON to an unknown API path, on the cluster and on a HAT', async () => {
    for (const hat of [null, 'refusals']) {
      for (const p of ['/api/nothing-here', '/users/nothing', '/control/v2/nothing', '/.well-known/nothing']) {
        assertSpecError(await server.call(hat, p, { headers: { accept: 'text/html' } }), 404);
      }
    }
  });

  it('answers 404 with a page to an unknown browser path, and JSON when only JSON is accepted', async () => {
    for (const hat of [null, 'refusals']) {
      const page = await server.call(hat, '/no/such/page', { headers: { accept: 'text/html,*/*;q=0.8' } });
      assert.equal(page.status, 404);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.text, /<html/i);
      assert.match(page.text, /Not Found/);
      assertSpecError(await server.call(hat, '/no/such/page', { headers: { accept: 'application/json' } }), 404);
    }
  });

  it('answers a page form\'s problem (shown again, or a link gone) with SPEC 3 JSON when only JSON is accepted, a page otherwise', async () => {
    const browser = new FormClient(server, 'refusals');
    await browser.get('/recover');
    const json = { accept: 'application/json' };
    // The sign-up hand-off with a missing or made-up secret (pages/signup-handoff.ts).
    assertSpecError(await browser.post('/signup/welcome', {}, json), 404, /expired or was already used/);
    assertSpecError(await browser.post('/signup/welcome', { code: 'x'.repeat(43) }, json), 404, /expired or was already used/);
    assertSpecError(await browser.post('/signup/login', { code: 'made-up' }, json), 404, /expired or was already used/);
    // A reset link that does not work, asked for and posted.
    assertSpecError(await browser.get('/recover/reset?token=junk', json), 404, /expired or was already used/);
    assertSpecError(await browser.post('/recover/reset', { token: 'junk', newPassword: 'x', newPasswordRepeat: 'x' }, json), 404);
    // A form shown again with a problem at a field, or about the whole form.
    assertSpecError(await browser.post('/recover', { identifier: '' }, json), 400);
    assertSpecError(await browser.post('/recover', { _csrf: null, identifier: 'x' }, json), 403, /expired/);
    // Browsers still get the pages, with the same statuses.
    for (const [reply, status] of [
      [await browser.post('/signup/welcome', { code: 'made-up' }), 404],
      [await browser.get('/recover/reset?token=junk'), 404],
      [await browser.post('/recover', { identifier: '' }), 400],
    ] as const) {
      assert.equal(reply.status, status);
      assert.match(String(reply.headers['content-type']), /^text\/html/);
    }
  });

  it('answers 405 with an Allow header to a wrong method on a known path', async () => {
    const cases: Array<[string | null, string, string, RegExp]> = [
      [null, 'GET', '/api/signup', /\bPOST\b/],
      [null, 'DELETE', '/api/signup', /\bPOST\b/],
      [null, 'POST', '/healthz', /\bGET\b/],
      ['refusals', 'POST', '/publickey', /\bGET\b/],
      ['refusals', 'PUT', '/users/access_token', /\bGET\b/],
      ['refusals', 'GET', '/control/v2/auth/password', /\bPOST\b/],
    ];
    for (const [hat, method, p, allow] of cases) {
      const reply = await server.call(hat, p, { method });
      assertSpecError(reply, 405);
      assert.match(String(reply.headers.allow), allow, `${method} ${p}: Allow header`);
    }
  });

  it('answers a method no route knows with a 4xx/5xx SPEC 3 body, not a crash', async () => {
    const reply = await server.call(null, '/api/signup', { method: 'PROPFIND' });
    assert.equal(reply.status, 501);
    assertSpecError(reply, reply.status);
  });
});

describe('A 5xx never shows a stack trace or internal detail (SPEC 3)', () => {
  let server: TestServer;
  const secret = 'SQLITE_IOERR at /srv/hat/secret/path.ts:42 password=hunter2';
  before(async () => {
    server = await startTestServer();
    await server.createHat('broken');
  });
  after(() => server.stop());

  function assertNoInternals(text: string): void {
    assert.doesNotMatch(text, /SQLITE_IOERR|\/srv\/hat|hunter2|\bat \w+ \(|\.ts:\d+|TypeError|node:internal/);
  }

  it('answers 500 JSON {message, cause} when a service fails unexpectedly', async () => {
    const signup = server.services.signup;
    const original = signup.create;
    signup.create = async () => {
      throw new Error(secret);
    };
    try {
      const reply = await server.call(null, '/api/signup', {
        method: 'POST',
        body: { username: 'someone', email: 'someone@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD },
      });
      assertSpecError(reply, 500);
      assertNoInternals(reply.text);
    } finally {
      signup.create = original;
    }
  });

  it('answers 500 with a readable page, without internals, to a browser', async () => {
    const hats = server.services.hats;
    const original = hats.find;
    const originalFresh = hats.fresh;
    hats.find = async () => {
      throw new TypeError(secret);
    };
    hats.fresh = () => undefined; // the remembered record would spare the failing read
    try {
      // A host this process has not looked up yet, so that the look-up really runs.
      const reply = await server.call('unseen', '/', { headers: { accept: 'text/html' } });
      assert.equal(reply.status, 500);
      assert.match(String(reply.headers['content-type']), /^text\/html/);
      assert.match(reply.text, /Internal Server Error/);
      assertNoInternals(reply.text);
      const api = await server.call('unseen2', '/users/access_token', { headers: { username: 'unseen2', password: 'x' } });
      assertSpecError(api, 500);
      assertNoInternals(api.text);
    } finally {
      hats.find = original;
      hats.fresh = originalFresh;
    }
  });

  it('keeps working after a 5xx', async () => {
    assert.equal((await server.call('broken', '/healthz')).status, 200);
  });
});
