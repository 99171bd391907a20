import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appToken, enableApp, ownerCall, registerApp, validateToken } from '../support/apps.js';
import { FormClient, textOf } from '../support/forms.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';
import { WORST_CASE_PASSWORD } from '../unit/services/strength.test.js';

const NEW_PASSWORD = 'another quite long passphrase';

/** SPEC 7: a password change ends every service's and application's token, unless kept. */
describe('What a password change ends (SPEC 7)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await registerApp(server, 'notes-app', [{ namespace: 'notes', access: 'read' }]);
  });
  after(() => server.stop());

  async function servicesOf(hat: string, owner: string) {
    await enableApp(server, hat, owner, 'notes-app');
    return { app: await appToken(server, hat, owner, 'notes-app'), website: await validateToken(server, hat) };
  }

  const validates = async (hat: string, token: string) =>
    (await server.call(hat, '/users/access_token/validate', { headers: { 'x-auth-token': token } })).status;

  it('through the API, by default: application and website tokens from before stop working', async () => {
    const { token: owner } = await server.createHat('ends-api');
    const before = await servicesOf('ends-api', owner);
    assert.equal(await validates('ends-api', before.app), 200);
    assert.equal(await validates('ends-api', before.website), 200);
    const reply = await ownerCall(server, 'ends-api', owner, 'POST', '/control/v2/auth/password', {
      password: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(await validates('ends-api', before.app), 401);
    assert.equal(await validates('ends-api', before.website), 401);
    // The services can be signed in again: the grant and approval themselves stay.
    const fresh = reply.json().accessToken as string;
    assert.equal(await validates('ends-api', await appToken(server, 'ends-api', fresh, 'notes-app')), 200);
    assert.equal(await validates('ends-api', await validateToken(server, 'ends-api')), 200);
  });

  it('through the API with keepServices: true, they keep working (owner tokens still end)', async () => {
    const { token: owner } = await server.createHat('keeps-api');
    const before = await servicesOf('keeps-api', owner);
    const reply = await ownerCall(server, 'keeps-api', owner, 'POST', '/control/v2/auth/password', {
      password: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
      keepServices: true,
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(await validates('keeps-api', before.app), 200);
    assert.equal(await validates('keeps-api', before.website), 200);
    assert.equal(await validates('keeps-api', owner), 401);
  });

  it('keepServices must be a boolean (400)', async () => {
    const { token: owner } = await server.createHat('badkeep');
    const reply = await ownerCall(server, 'badkeep', owner, 'POST', '/control/v2/auth/password', {
      password: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
      keepServices: 'yes',
    });
    assert.equal(reply.status, 400);
    assert.match(reply.json().cause, /keepServices/);
  });

  async function dashboardBrowser(hat: string): Promise<FormClient> {
    const browser = new FormClient(server, hat);
    await browser.get('/');
    const login = await browser.post('/login', { password: STRONG_PASSWORD });
    assert.equal(login.status, 303);
    const page = await browser.get('/dashboard/password');
    assert.equal(page.status, 200);
    assert.match(page.text, /name="keepServices"/, 'the page offers to keep the services signed in');
    return browser;
  }

  it('on the dashboard, by default: the services are signed out, and the page says so', async () => {
    const { token: owner } = await server.createHat('ends-page');
    const before = await servicesOf('ends-page', owner);
    const browser = await dashboardBrowser('ends-page');
    const reply = await browser.post('/dashboard/password', {
      oldPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordRepeat: NEW_PASSWORD,
    });
    assert.equal(reply.status, 303, reply.text);
    assert.equal(await validates('ends-page', before.app), 401);
    assert.equal(await validates('ends-page', before.website), 401);
    assert.match((await browser.get('/')).text, /every token of the services you approved has ended/);
  });

  it('on the dashboard with “keep services signed in”: they keep working, and the page says so', async () => {
    const { token: owner } = await server.createHat('keeps-page');
    const before = await servicesOf('keeps-page', owner);
    const browser = await dashboardBrowser('keeps-page');
    const reply = await browser.post('/dashboard/password', {
      oldPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordRepeat: NEW_PASSWORD,
      keepServices: 'yes',
    });
    assert.equal(reply.status, 303, reply.text);
    assert.equal(await validates('keeps-page', before.app), 200);
    assert.equal(await validates('keeps-page', before.website), 200);
    assert.match((await browser.get('/')).text, /The services you approved stay signed in/);
  });

  it('the old password is checked before the new one is estimated: a wrong one with a worst-case new one is a quick 403', async () => {
    await server.createHat('oldfirst');
    const browser = await dashboardBrowser('oldfirst');
    const reply = await browser.post('/dashboard/password', {
      oldPassword: 'not the password at all',
      newPassword: WORST_CASE_PASSWORD,
      newPasswordRepeat: WORST_CASE_PASSWORD,
    });
    assert.equal(reply.status, 403, reply.text.slice(0, 300));
    assert.equal(textOf(reply.text, 'oldPassword-error'), 'Error: Your current password is not right');
    assert.equal(textOf(reply.text, 'newPassword-error'), '');
  });
});
