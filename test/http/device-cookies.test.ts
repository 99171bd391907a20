import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/ports.js';
import { PER_HAT } from '../../src/services/throttle.js';
import { FormClient } from '../support/forms.js';
import { setCookie, startWithStore } from '../support/hatlogin.js';
import { STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** SPEC 6.3 (issue 11, finding 3): strangers' failures never lock the owner out of a known browser. */
describe('Device cookies and the login throttle', () => {
  let server: TestServer;
  let store: Store;
  let stop: () => Promise<void>;
  before(async () => {
    ({ server, store, stop } = await startWithStore({ TRUST_PROXY: 'true' }));
    for (const name of ['owned', 'source', 'target', 'mine', 'sixer']) await server.createHat(name);
  });
  after(() => stop());

  /** A browser at `ip` (behind the trusted proxy) on HAT `hat`; `extraCookie` is sent along. */
  function browserAt(hat: string, ip: string, extraCookie = '') {
    const browser = new FormClient(server, hat);
    const headers = () => {
      const cookie = [browser.cookieHeader, extraCookie].filter(Boolean).join('; ');
      return { 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) };
    };
    return {
      browser,
      async login(password = STRONG_PASSWORD) {
        await browser.get('/', headers());
        return browser.post('/login', { password }, headers());
      },
      async logout() {
        await browser.get('/', headers());
        return browser.post('/logout', {}, headers());
      },
    };
  }

  /** Strangers filled the HAT-wide limit (SPEC 6.3: 100 failures on one HAT in an hour). */
  async function strangersFailed(hat: string): Promise<void> {
    const counter = store.attempts('fail-hat', PER_HAT.windowSeconds, PER_HAT.limit);
    for (let i = 0; i < PER_HAT.limit; i++) await counter.hit(hat);
  }

  const deviceOf = (browser: FormClient) => /hat_device=([^;]+)/.exec(browser.cookieHeader)?.[1];

  it('a login gives the browser a signed, HttpOnly, host-only, long-lived device cookie', async () => {
    const reply = await browserAt('owned', '192.0.2.10').login();
    assert.equal(reply.status, 303);
    const cookie = setCookie(reply, 'hat_device');
    assert.ok(cookie, 'no device cookie');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{22,}\.[A-Za-z0-9_-]{43}$/);
    const attributes = cookie.attributes.map((a) => a.trim().toLowerCase());
    assert.ok(attributes.includes('httponly'));
    assert.ok(attributes.includes('samesite=lax'));
    assert.ok(!attributes.some((a) => a.startsWith('domain=')), 'host-only: one HAT');
    const expires = attributes.find((a) => a.startsWith('expires='));
    assert.ok(expires && Date.parse(expires.slice(8)) > Date.now() + 300 * 24 * 3600 * 1000, `expires: ${expires}`);
  });

  it('a browser that logged in before logs in while strangers fill the HAT-wide limit; others are refused', async () => {
    const known = browserAt('owned', '192.0.2.20');
    assert.equal((await known.login()).status, 303);
    assert.equal((await known.logout()).status, 303);
    await strangersFailed('owned');
    assert.equal((await browserAt('owned', '198.51.100.7').login('a wrong password')).status, 429, 'a stranger');
    assert.equal((await browserAt('owned', '192.0.2.20').login()).status, 429, 'the same address, no cookie');
    assert.ok(deviceOf(known.browser));
    assert.equal((await known.login()).status, 303, 'the owner is locked out of a browser they used before');
  });

  it('a device cookie of another HAT counts for nothing here', async () => {
    const source = browserAt('source', '192.0.2.40');
    assert.equal((await source.login()).status, 303);
    await strangersFailed('target');
    const borrowed = browserAt('target', '192.0.2.41', `hat_device=${deviceOf(source.browser)}`);
    assert.equal((await borrowed.login()).status, 429);
  });

  it('a known browser is limited by its own count: ten wrong passwords, then 429 for it alone', async () => {
    const mine = browserAt('mine', '192.0.2.50');
    assert.equal((await mine.login()).status, 303);
    assert.equal((await mine.logout()).status, 303);
    for (let i = 0; i < 10; i++) assert.equal((await mine.login('not my password')).status, 401, `attempt ${i + 1}`);
    assert.equal((await mine.login()).status, 429);
    // Its failures were its own: the address without the cookie, and the HAT, are not held back.
    assert.equal((await browserAt('mine', '192.0.2.50').login()).status, 303);
  });

  it('counts IPv6 clients per /64', async () => {
    for (let i = 1; i <= 10; i++) assert.equal((await browserAt('sixer', `2001:db8:5:6::${i}`).login('wrong one')).status, 401);
    assert.equal((await browserAt('sixer', '2001:db8:5:6:ffff::1').login()).status, 429, 'the same /64');
    assert.equal((await browserAt('sixer', '2001:db8:5:7::1').login()).status, 303, 'another /64');
  });
});
