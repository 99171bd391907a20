import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * SPEC 5: the legacy `username`/`pass` query parameters are "never written to any log", and no
 * password or token is: the structured request log names method, path and status only.
 */

interface Line {
  method?: string;
  path?: string;
  status?: number;
  [key: string]: unknown;
}

describe('Structured request logs never hold a password or a token (SPEC 5)', () => {
  let server: TestServer;
  const lines: string[] = [];
  const secrets: string[] = [];
  const password = 'Quixotic-Lantern-Harbor-8841';
  const newPassword = 'Velvet-Thunder-Compass-2290';
  const wrongPassword = 'Obsidian-Walrus-Meadow-5512';

  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const parsed = (): Line[] => lines.map((l) => JSON.parse(l) as Line);

  /** Every form in which a secret could show up in a log line. */
  function remember(secret: string): void {
    secrets.push(secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1));
    const parts = secret.split('.');
    if (parts.length === 3) secrets.push(parts[2]!, parts[1]!); // a JWT's signature and claims on their own
  }

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'info' }, undefined, { log: createLogger('info', capture) });
    for (const p of [password, newPassword, wrongPassword]) remember(p);

    // Sign-up: the password travels in the JSON body.
    const signup = await server.call(null, '/api/signup', {
      method: 'POST',
      body: { username: 'logged', email: 'logged@example.com', pass: password, passRepeat: password, fullName: 'Log Ged' },
    });
    assert.equal(signup.status, 201, signup.text);

    // Owner login: the password travels in a header.
    const token = await server.ownerToken('logged', password);
    remember(token);
    const failed = await server.call('logged', '/users/access_token', {
      headers: { username: 'logged', password: encodeURIComponent(wrongPassword) },
    });
    assert.equal(failed.status, 401);

    // Token validation: the token travels in a header and in the query string.
    const q = (v: string) => encodeURIComponent(v);
    for (const path of [
      `/users/access_token/validate?access_token=${q(token)}`,
      `/users/access_token/validate?X-Auth-Token=${q(token)}`,
      `/users/access_token/validate?username=logged&pass=${q(password)}`,
      `/users/access_token/validate?username=logged&pass=${q(wrongPassword)}`,
    ]) {
      await server.call('logged', path);
    }
    assert.equal((await server.call('logged', '/users/access_token/validate', { headers: { 'x-auth-token': token } })).status, 200);

    // A malformed token in the query must not be echoed either.
    const bogus = `${token.slice(0, -10)}AAAAAAAAAA`;
    remember(bogus);
    assert.equal((await server.call('logged', `/users/access_token/validate?access_token=${q(bogus)}`)).status, 401);

    // Password change: both passwords in the body, a new token in the answer.
    const change = await server.call('logged', '/control/v2/auth/password', {
      method: 'POST',
      headers: { 'x-auth-token': token },
      body: { password, newPassword },
    });
    assert.equal(change.status, 200, change.text);
    remember(change.json<{ accessToken: string }>().accessToken);
  });
  after(() => server.stop());

  it('writes one structured line per request with method, path and status', () => {
    const requests = parsed().filter((l) => l.method && l.path);
    const seen = (method: string, path: string, status: number) =>
      requests.some((l) => l.method === method && l.path === path && l.status === status);
    assert.ok(seen('POST', '/api/signup', 201), 'the sign-up');
    assert.ok(seen('GET', '/users/access_token', 200), 'the login');
    assert.ok(seen('GET', '/users/access_token', 401), 'the failed login');
    assert.ok(seen('GET', '/users/access_token/validate', 200), 'a validation');
    assert.ok(seen('GET', '/users/access_token/validate', 401), 'a refused validation');
    assert.ok(seen('POST', '/control/v2/auth/password', 200), 'the password change');
    assert.ok(requests.length >= 10);
  });

  it('never writes a password, in any encoding', () => {
    const text = lines.join('\n');
    for (const p of [password, newPassword, wrongPassword]) {
      assert.equal(text.includes(p), false, `a password is in the log`);
      assert.equal(text.includes(encodeURIComponent(p)), false, 'an encoded password is in the log');
    }
  });

  it('never writes a token, nor its signature or claims on their own', () => {
    const text = lines.join('\n');
    for (const s of secrets) assert.equal(text.includes(s), false, `a secret is in the log: ${s.slice(0, 12)}…`);
  });

  it('never writes the query string, headers or body of a request', () => {
    for (const line of parsed()) {
      assert.doesNotMatch(String(line.path ?? ''), /\?/, 'a path with its query');
      for (const key of ['url', 'query', 'querystring', 'headers', 'body', 'req', 'res']) {
        assert.equal(line[key], undefined, `a line carries "${key}"`);
      }
    }
  });
});
