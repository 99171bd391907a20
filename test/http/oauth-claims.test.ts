import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as oc from 'openid-client';
import { registerApp } from '../support/apps.js';
import { FormClient } from '../support/forms.js';
import { codeFlow, discover } from '../support/oidc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { linkIn, SmtpPeer } from '../support/smtp.js';

const REDIRECT = 'https://notes.example.com/callback';

/** SPEC 12's `max_age` / `auth_time` and `email_verified` (SPEC 13), with openid-client (unmodified) as the relying party. */
describe('OAuth / OpenID Connect: max_age, auth_time, email_verified, and what a used code leaves remembered', () => {
  let server: TestServer;
  let smtp: SmtpPeer;

  before(async () => {
    smtp = await SmtpPeer.start();
    // A check the data API remembers lasts a minute here, so that the last test does not depend on timing.
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'HAT <hat@example.org>', REVISION_CHECK_MS: '60000' });
    await server.createHat('dana');
    await server.createHat('erin');
    await server.createHat('finn');
    await registerApp(server, 'notes', [{ namespace: 'notes', access: 'read' }]);
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  it('puts auth_time in the ID token when max_age is asked; a large max_age keeps the login, a smaller one than its age asks again', async () => {
    const config = await discover(server, 'dana', 'notes');
    const browser = new FormClient(server, 'dana');
    const pages: string[] = [];
    const onPage = (kind: string) => pages.push(kind);
    const first = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid', max_age: '3600' }, { onPage });
    assert.deepEqual(pages, ['login', 'consent']);
    const loggedIn = first.claims()!.auth_time;
    assert.equal(typeof loggedIn, 'number', 'auth_time is in the ID token when max_age is asked');

    pages.length = 0;
    const kept = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid', max_age: '3600' }, { onPage });
    assert.deepEqual(pages, [], 'the login is younger than max_age: no page');
    assert.equal(kept.claims()!.auth_time, loggedIn, 'auth_time is still the first login');

    // auth_time counts whole seconds: let the login become older than max_age=1.
    await sleep(2100);
    const before = Math.floor(Date.now() / 1000);
    const fresh = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid', max_age: '1' }, { onPage });
    assert.deepEqual(pages, ['login'], 'the login is older than max_age: the login page again (consent stands)');
    const authTime = fresh.claims()!.auth_time!;
    assert.ok(authTime >= before && authTime > loggedIn!, `auth_time ${authTime} is the new login (after ${before})`);
  });

  it('says email_verified false in the ID token and userinfo until the sign-up confirmation link is opened, then true', async () => {
    const config = await discover(server, 'erin', 'notes');
    const browser = new FormClient(server, 'erin');
    const before = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid email' });
    const claims = before.claims()!;
    assert.equal(claims.email, 'erin@example.com');
    assert.equal(claims.email_verified, false);
    assert.equal((await oc.fetchUserInfo(config, before.access_token, claims.sub)).email_verified, false);

    const link = new URL(linkIn(await smtp.mailTo('erin@example.com', /Confirm/), '/confirm-email?token='));
    const opened = await browser.get(link.pathname + link.search);
    assert.equal(opened.status, 200);
    assert.match(opened.text, /Email address confirmed/);

    assert.equal((await oc.fetchUserInfo(config, before.access_token, claims.sub)).email_verified, true, 'userinfo says so at once');
    const after = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid email' });
    assert.equal(after.claims()!.email_verified, true);
    // Without the email scope neither claim is given.
    const bare = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid profile' });
    assert.equal(bare.claims()!.email, undefined);
    assert.equal(bare.claims()!.email_verified, undefined);
  });

  it('keeps what the data API remembers of an access token when a code is used or a refresh token rotates (no store look-up)', async () => {
    const config = await discover(server, 'finn', 'notes');
    const browser = new FormClient(server, 'finn');
    const first = await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid offline_access data:notes:read', prompt: 'consent' });
    const data = new URL(`http://${server.hatHost('finn')}/api/v2.6/data/notes/items`);
    assert.equal((await oc.fetchProtectedResource(config, first.access_token, data, 'GET')).status, 200);
    // Count the data API's look-ups of access tokens from here on.
    const store = server.services.oauth.oidcStore;
    const find = store.find.bind(store);
    let lookUps = 0;
    store.find = async (hat, model, id) => {
      if (model === 'AccessToken') lookUps++;
      return find(hat, model, id);
    };
    try {
      await oc.refreshTokenGrant(config, first.refresh_token!);
      await codeFlow(config, browser, { redirect_uri: REDIRECT, scope: 'openid' });
      assert.equal((await oc.fetchProtectedResource(config, first.access_token, data, 'GET')).status, 200);
      assert.equal(lookUps, 0, 'the first token was not looked up again');
    } finally {
      store.find = find;
    }
  });
});
