import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply } from '../support/http.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const WRONG = 'not the right password at all';

/** Client addresses from the documentation ranges (RFC 5737): only ever written in a header. */
const client = (n: number) => `203.0.113.${n}`;

/** SPEC 6.3: failed password attempts are limited per HAT and per client, with the same counters everywhere. */
describe('the login throttle (SPEC 6.3)', () => {
  describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ TRUST_PROXY: 'true' });
      await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin', 'fred', 'gina'].map((name) => server.createHat(name)));
    });
    after(() => server.stop());

    const attempt = (hat: string, from: string, password: string) =>
      server.call(hat, '/users/access_token', {
        headers: { username: hat, password: encodeURIComponent(password), 'X-Forwarded-For': from },
      });
    const failTimes = async (hat: string, from: string, times: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < times; i++) statuses.push((await attempt(hat, from, WRONG)).status);
      return statuses;
    };
    const assertThrottled = (reply: Reply, maxSeconds: number) => {
      assert.equal(reply.status, 429, reply.text);
      const retryAfter = String(reply.headers['retry-after']);
      assert.match(retryAfter, /^\d+$/, 'Retry-After is a whole number of seconds');
      assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= maxSeconds, `Retry-After ${retryAfter}`);
      const body = reply.json();
      assert.deepEqual(Object.keys(body).sort(), ['cause', 'message']);
      assert.equal(body.message, 'Too Many Requests');
      assert.match(body.cause, /try again/i);
      assert.equal(reply.headers['x-auth-token'], undefined);
    };

    describe('ten failures from one client on one HAT in 15 minutes', () => {
      before(async () => {
        assert.deepEqual(await failTimes('alice', client(1), 10), Array(10).fill(401));
      });

      it('answer the next attempt 429 with Retry-After and a SPEC 3 body', async () => {
        assertThrottled(await attempt('alice', client(1), WRONG), 15 * 60);
      });

      it('refuse even the right password while throttled', async () => {
        assertThrottled(await attempt('alice', client(1), STRONG_PASSWORD), 15 * 60);
      });

      it('also hold for the username and pass query parameters (the same counters)', async () => {
        const reply = await server.call('alice', `/users/access_token/validate?username=alice&pass=${encodeURIComponent(STRONG_PASSWORD)}`, {
          headers: { 'X-Forwarded-For': client(1) },
        });
        assertThrottled(reply, 15 * 60);
      });

      it('leave another client address free to log in', async () => {
        assert.equal((await attempt('alice', client(2), STRONG_PASSWORD)).status, 200);
      });

      it('leave the same client free to log in to another HAT', async () => {
        assert.equal((await attempt('dave', client(1), STRONG_PASSWORD)).status, 200);
      });

      it("are written to the HAT's activity log with the client address", async () => {
        const { entries } = await server.services.activity.page('alice', 1, 50);
        const failed = entries.filter((e) => e.type === 'login_failed');
        assert.equal(failed.length, 10);
        assert.ok(failed.every((e) => e.clientIp === client(1) && e.via === 'api'));
        // Refused attempts go to the log once per client and window, however many there were.
        const refused = entries.filter((e) => e.type === 'login_throttled');
        assert.equal(refused.length, 1);
        assert.equal(refused[0]?.clientIp, client(1));
        const success = entries.find((e) => e.type === 'login');
        assert.equal(success?.clientIp, client(2));
      });
    });

    it('a success forgives the failures of that client', async () => {
      assert.deepEqual(await failTimes('carol', client(3), 9), Array(9).fill(401));
      assert.equal((await attempt('carol', client(3), STRONG_PASSWORD)).status, 200);
      // Without the reset, the 10th of these would be the last one allowed and the 11th a 429.
      assert.deepEqual(await failTimes('carol', client(3), 9), Array(9).fill(401));
      assert.equal((await attempt('carol', client(3), STRONG_PASSWORD)).status, 200);
    });

    it('counts attempts made at the same time: of 30 simultaneous wrong passwords from one client, 10 are tried', async () => {
      const replies = await Promise.all(Array.from({ length: 30 }, () => attempt('erin', client(30), WRONG)));
      const statuses = replies.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 10);
      assert.equal(statuses.filter((s) => s === 429).length, 20);
      const { entries } = await server.services.activity.page('erin', 1, 50);
      assert.equal(entries.filter((e) => e.type === 'login_failed').length, 10);
    });

    it('counts a wrong old password in a password change as a failure too', async () => {
      const token = await server.ownerToken('fred');
      const change = (password: string) =>
        server.call('fred', '/control/v2/auth/password', {
          method: 'POST',
          headers: { 'X-Auth-Token': token, 'X-Forwarded-For': client(40) },
          body: { password, newPassword: 'violet lanterns drift over quiet harbours' },
        });
      for (let i = 0; i < 10; i++) assert.equal((await change(WRONG)).status, 403);
      assertThrottled(await change(STRONG_PASSWORD), 15 * 60);
      assertThrottled(await attempt('fred', client(40), STRONG_PASSWORD), 15 * 60);
    });

    it('one hundred failures on one HAT in an hour, from many clients, stop everyone', async () => {
      // Ten clients, ten failures each: none of them reaches its own limit before the HAT's.
      const perClient = await Promise.all(Array.from({ length: 10 }, (_, i) => failTimes('bob', client(100 + i), 10)));
      assert.deepEqual(perClient.flat(), Array(100).fill(401));
      assertThrottled(await attempt('bob', client(200), STRONG_PASSWORD), 60 * 60);
      assertThrottled(await attempt('bob', client(201), WRONG), 60 * 60);
      const { total } = await server.services.activity.page('bob', 1, 1);
      assert.ok(total >= 102, 'every failure and refusal is in the activity log');
      assert.equal((await attempt('dave', client(200), STRONG_PASSWORD)).status, 200, 'other HATs are not affected');
    });

    it('one hundred failures at the same time, from as many clients, are all the HAT takes', async () => {
      const replies = await Promise.all(Array.from({ length: 120 }, (_, i) => attempt('gina', `198.51.100.${i}`, WRONG)));
      const statuses = replies.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 100);
      assert.equal(statuses.filter((s) => s === 429).length, 20);
    });
  });

  describe('without TRUST_PROXY', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
      await server.createHat('alice');
    });
    after(() => server.stop());

    it('ignores X-Forwarded-For: the count stays on the real client address', async () => {
      for (let i = 0; i < 10; i++) {
        const reply = await server.call('alice', '/users/access_token', {
          headers: { username: 'alice', password: WRONG, 'X-Forwarded-For': client(i) },
        });
        assert.equal(reply.status, 401);
      }
      const reply = await server.call('alice', '/users/access_token', {
        headers: { username: 'alice', password: STRONG_PASSWORD, 'X-Forwarded-For': client(99) },
      });
      assert.equal(reply.status, 429);
      const { entries } = await server.services.activity.page('alice', 1, 50);
      assert.ok(entries.length >= 11);
      assert.ok(entries.every((e) => e.clientIp === '127.0.0.1'), 'logged with the socket address');
    });
  });

  describe('the count lives in the store', () => {
    let first: TestServer;
    let second: TestServer;
    before(async () => {
      first = await startTestServer();
      // A second process on the same SQLite file (and the same secrets beside it).
      second = await startTestServer({ DATA_DIR: first.config.dataDir });
      await first.createHat('alice');
    });
    after(async () => {
      await second.stop();
      await first.stop();
    });

    const fail = (server: TestServer) =>
      server.call('alice', '/users/access_token', { headers: { username: 'alice', password: WRONG } });

    it('so two servers on one store share it', async () => {
      assert.equal(second.config.dataDir, first.config.dataDir);
      for (let i = 0; i < 5; i++) {
        assert.equal((await fail(first)).status, 401);
        assert.equal((await fail(second)).status, 401);
      }
      assert.equal((await fail(first)).status, 429);
      assert.equal((await fail(second)).status, 429);
    });
  });
});
