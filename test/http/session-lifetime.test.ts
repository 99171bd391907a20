import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/ports.js';
import { FormClient } from '../support/forms.js';
import { startWithStore } from '../support/hatlogin.js';
import { STRONG_PASSWORD, type TestServer } from '../support/server.js';

const DAY = 24 * 3600 * 1000;

/** SPEC 7: sessions have an absolute lifetime (SESSION_MAX_AGE_DAYS) besides the idle one. */
describe('The absolute session lifetime (issue 11, finding 12)', () => {
  let server: TestServer;
  let store: Store;
  let stop: () => Promise<void>;
  before(async () => {
    ({ server, store, stop } = await startWithStore({ SESSION_MAX_AGE_DAYS: '2', SESSION_TTL_SECONDS: String(5 * 24 * 3600) }));
    await server.createHat('lasting');
  });
  after(() => stop());

  async function loggedIn(): Promise<{ browser: FormClient; id: string }> {
    const browser = new FormClient(server, 'lasting');
    await browser.get('/');
    assert.equal((await browser.post('/login', { password: STRONG_PASSWORD })).status, 303);
    const id = /hat_session=([^;]+)/.exec(browser.cookieHeader)![1]!;
    return { browser, id };
  }

  const showsDashboard = async (browser: FormClient) => !/action="\/login"/.test((await browser.get('/')).text);

  it('a session kept in use ends SESSION_MAX_AGE_DAYS after its login', async () => {
    const { browser, id } = await loggedIn();
    assert.equal(await showsDashboard(browser), true);
    const session = (await store.sessions.get(id))!;
    // Used every day since, so the idle lifetime never ran out; the login was 2 days ago.
    await store.sessions.set({ ...session, data: { ...session.data, loggedInAt: Date.now() - 2 * DAY - 1000 }, expiresAt: new Date(Date.now() + DAY) });
    assert.equal(await showsDashboard(browser), false);
  });

  it('a session within the lifetime stays, and its stored end never passes the lifetime', async () => {
    const { browser, id } = await loggedIn();
    const session = (await store.sessions.get(id))!;
    const loggedInAt = session.data.loggedInAt as number;
    // The idle lifetime here is 5 days; the row still ends 2 days after the login.
    assert.ok(session.expiresAt.getTime() <= loggedInAt + 2 * DAY, `the row lives until ${session.expiresAt.toISOString()}`);
    await store.sessions.set({ ...session, data: { ...session.data, loggedInAt: Date.now() - 2 * DAY + 60_000 } });
    assert.equal(await showsDashboard(browser), true);
  });

  it('SESSION_MAX_AGE_DAYS is read as a whole number of days, 30 by default', async () => {
    const { loadConfig } = await import('../../src/config.js');
    assert.equal(loadConfig({ DATA_DIR: server.dataDir }).sessionMaxAgeMs, 30 * DAY);
    assert.throws(() => loadConfig({ DATA_DIR: server.dataDir, SESSION_MAX_AGE_DAYS: '0' }), /SESSION_MAX_AGE_DAYS/);
  });
});
