import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { request, type Reply } from '../support/http.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** The estimator on its own, to tell that a refusal carries its advice and not a rule of ours. */
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

function assertFieldError(reply: Reply, status: number, field: string): { message: string; cause: string } {
  assert.equal(reply.status, status, `expected ${status} naming ${field}, got ${reply.status}: ${reply.text}`);
  const body = reply.json<{ message: string; cause: string }>();
  assert.deepEqual(Object.keys(body).sort(), ['cause', 'message']);
  assert.match(body.cause, new RegExp(`\\b${field}\\b`), `cause should name ${field}: ${body.cause}`);
  return body;
}

describe('POST /api/signup (SPEC 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const signup = (body: unknown) => server.call(null, '/api/signup', { method: 'POST', body });
  const valid = (name: string) => ({ username: name, email: `${name}@example.com`, pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD });

  it('creates a HAT and answers 201 with its address, URL and the owner id', async () => {
    const reply = await signup(valid('alice'));
    assert.equal(reply.status, 201);
    const body = reply.json();
    assert.equal(body.hat, server.hatHost('alice'));
    assert.equal(body.url, `http://${server.hatHost('alice')}`);
    assert.match(body.userId, /^[0-9a-f-]{36}$/);
  });

  it('answers 409 when the name is taken, whatever its case', async () => {
    const reply = await signup({ ...valid('carol'), username: 'Alice' });
    assertFieldError(reply, 409, 'username');
  });

  it('answers 409 naming email when the email is taken, whatever its case', async () => {
    const reply = await signup({ ...valid('carol'), email: 'ALICE@Example.com' });
    assertFieldError(reply, 409, 'email');
    assert.equal((await server.call('carol', '/healthz')).status, 404, 'the refused HAT does not exist');
  });

  it('gives exactly one 201 to fifty concurrent sign-ups for the same name', async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => signup({ ...valid('racer'), email: `racer${i}@example.com` })),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1);
    assert.equal(statuses.filter((s) => s === 409).length, 49);
  });

  it('gives exactly one 201 to concurrent sign-ups of different names with the same email', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => signup({ ...valid(`twin${i}`), email: 'twin@example.com' })),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1);
    for (const r of replies.filter((x) => x.status !== 201)) assertFieldError(r, 409, 'email');
  });

  it('is served on the cluster host only: a HAT host answers 404 for /api/signup', async () => {
    const reply = await server.call('alice', '/api/signup', { method: 'POST', body: valid('dave') });
    assert.equal(reply.status, 404);
    assert.deepEqual(Object.keys(reply.json()).sort(), ['cause', 'message']);
    assert.equal((await server.call('dave', '/healthz')).status, 404, 'no HAT was created');
  });

  it('is served on localhost:<port> as well as on the bare HAT domain', async () => {
    const reply = await request(server.port, `localhost:${server.port}`, '/api/signup', { method: 'POST', body: valid('viahost') });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.json().hat, server.hatHost('viahost'));
  });

  describe('HAT names: 3 to 30 characters, lowercase letters, digits, single inner hyphens, starting with a letter', () => {
    for (const name of ['abc', 'a'.repeat(30), 'bob-smith', 'r2d2', 'a-b-c', 'x9-y8']) {
      it(`accepts "${name}"`, async () => {
        const reply = await signup(valid(name));
        assert.equal(reply.status, 201, reply.text);
        assert.equal(reply.json().hat, server.hatHost(name));
      });
    }

    const refused: Array<[string, string]> = [
      ['ab', 'too short'],
      ['a'.repeat(31), 'too long'],
      ['', 'empty'],
      ['1bob', 'starts with a digit'],
      ['-bob', 'starts with a hyphen'],
      ['bob-', 'ends with a hyphen'],
      ['bob--smith', 'a double hyphen'],
      ['bob_smith', 'an underscore'],
      ['bob.smith', 'a dot (it would be a nested host)'],
      ['bob smith', 'a space'],
      ['böb', 'a non-ASCII letter'],
      ['bob%00', 'a percent sign'],
      ['xn--bb-eka', 'a double hyphen in a punycode form'],
    ];
    for (const [name, why] of refused) {
      it(`refuses a name with ${why} ("${name.length > 12 ? name.slice(0, 12) + '…' : name}") with 400 naming username`, async () => {
        assertFieldError(await signup({ ...valid('unused'), username: name }), 400, 'username');
      });
    }

    it('treats names case-insensitively: "Edgar" is created as "edgar"', async () => {
      const reply = await signup({ ...valid('edgar'), username: 'Edgar' });
      assert.equal(reply.status, 201, reply.text);
      assert.equal(reply.json().hat, server.hatHost('edgar'));
      assert.equal((await server.call('edgar', '/healthz')).status, 200);
      assertFieldError(await signup({ ...valid('edgar'), email: 'other@example.com', username: 'EDGAR' }), 409, 'username');
    });

    for (const name of ['www', 'api', 'admin', 'mail', 'static', 'WWW', 'Admin']) {
      it(`refuses the reserved name "${name}" with 400 naming username`, async () => {
        const body = assertFieldError(await signup({ ...valid('unused'), username: name }), 400, 'username');
        assert.match(body.cause, /reserved/);
      });
    }
  });

  describe('passwords: at least 10 characters and a zxcvbn score of at least 3', () => {
    it('refuses a password under 10 characters with 400 naming pass', async () => {
      const body = assertFieldError(await signup({ ...valid('shortpw'), pass: 'Xq7#vL2!m', passRepeat: 'Xq7#vL2!m' }), 400, 'pass');
      assert.match(body.cause, /10/);
    });

    for (const weak of ['password123', 'Password1!', 'qwertyuiop', 'aaaaaaaaaaaa', 'Tr1ckyP@ss']) {
      it(`refuses "${weak}" with 400 and the estimator's advice in cause`, async () => {
        const body = assertFieldError(await signup({ ...valid('weakpw'), pass: weak, passRepeat: weak }), 400, 'pass');
        const { feedback, score } = zxcvbn.check(weak);
        assert.ok(score < 3);
        const advice = [feedback.warning, ...feedback.suggestions].filter(Boolean) as string[];
        assert.ok(advice.length > 0);
        for (const line of advice) assert.ok(body.cause.includes(line), `cause should carry "${line}": ${body.cause}`);
      });
    }

    it('refuses a password built from the HAT name, as the estimator is told the name', async () => {
      const pass = 'quentinblake2024';
      const body = assertFieldError(await signup({ ...valid('quentinblake'), pass, passRepeat: pass }), 400, 'pass');
      assert.match(body.cause, /personal/i);
    });

    for (const strong of ['correct horse battery staple', 'vivid otter mango', 'xk7#qm2!zp']) {
      it(`accepts "${strong}": no character-class rule, only the estimate`, async () => {
        const name = `pw${strong.replace(/[^a-z]/g, '').slice(0, 10)}`;
        const reply = await signup({ ...valid(name), pass: strong, passRepeat: strong });
        assert.equal(reply.status, 201, reply.text);
      });
    }

    it('refuses a passRepeat that differs from pass with 400 naming passRepeat', async () => {
      assertFieldError(await signup({ ...valid('mismatch'), passRepeat: STRONG_PASSWORD + ' ' }), 400, 'passRepeat');
      assertFieldError(await signup({ ...valid('mismatch'), passRepeat: '' }), 400, 'passRepeat');
    });
  });

  describe('email must be a valid address', () => {
    for (const email of ['', 'not-an-email', 'a@b', 'a b@example.com', '@example.com', 'alice@', 'alice@@example.com', 'alice@exa mple.com']) {
      it(`refuses "${email}" with 400 naming email`, async () => {
        assertFieldError(await signup({ ...valid('mailtest'), email }), 400, 'email');
      });
    }

    it('accepts a plus address and stores it lower-cased', async () => {
      const reply = await signup({ ...valid('plusmail'), email: 'Plus.Mail+hat@Example.org' });
      assert.equal(reply.status, 201, reply.text);
      assertFieldError(await signup({ ...valid('plusmail2'), email: 'plus.mail+hat@example.org' }), 409, 'email');
    });
  });

  describe('fields', () => {
    it('accepts a sign-up without fullName', async () => {
      const { username, email, pass, passRepeat } = valid('nofullname');
      assert.equal((await signup({ username, email, pass, passRepeat })).status, 201);
    });

    it('accepts a fullName with any characters, and an empty one', async () => {
      assert.equal((await signup({ ...valid('fullname'), fullName: 'Zoë <O\'Brien> & "Co"' })).status, 201);
      assert.equal((await signup({ ...valid('emptyname'), fullName: '' })).status, 201);
    });

    for (const field of ['username', 'email', 'pass', 'passRepeat']) {
      it(`refuses a sign-up without ${field} with 400 naming it`, async () => {
        const body: Record<string, unknown> = valid('missing');
        delete body[field];
        assertFieldError(await signup(body), 400, field);
      });
    }

    for (const field of ['fullName', 'username', 'email', 'pass', 'passRepeat']) {
      it(`refuses a non-string ${field} with 400 naming it`, async () => {
        assertFieldError(await signup({ ...valid('typed'), [field]: 42 }), 400, field);
      });
    }

    it('creates nothing when a sign-up is refused', async () => {
      for (const name of ['missing', 'typed', 'mismatch', 'weakpw', 'shortpw', 'mailtest', 'unused', 'quentinblake']) {
        assert.equal((await server.call(name, '/healthz')).status, 404, `${name} must not exist`);
      }
    });
  });
});
