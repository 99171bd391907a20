import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oc from 'openid-client';
import { admin, registerApp } from '../support/apps.js';
import { FormClient } from '../support/forms.js';
import { authorizationRequest, codeFlow, discover, issuerOf, oauthError, playBrowser } from '../support/oidc.js';
import { STRONG_PASSWORD, startTestServer, type TestServer } from '../support/server.js';

const REDIRECT = (id: string) => `https://${id}.example.com/callback`;

/** SPEC 12's flows and refusals, with openid-client (unmodified) as the relying party. */
describe('OAuth 2.1 / OpenID Connect: tokens, refusals and the data API', () => {
  let server: TestServer;
  let userId: string;
  let confidential: oc.Configuration;
  let secret: string;

  before(async () => {
    server = await startTestServer();
    ({ userId } = await server.createHat('bob'));
    await registerApp(server, 'diary', [{ namespace: 'diary', access: 'write' }]);
    await registerApp(server, 'ledger', [{ namespace: 'ledger', access: 'read' }]);
    secret = (await admin(server, 'POST', '/api/admin/applications/ledger/client-secret')).json().clientSecret;
    confidential = await discover(server, 'bob', 'ledger', secret);
  });
  after(() => server.stop());

  const data = (path: string) => new URL(`${issuerOf(server, 'bob').origin}/api/v2.6/data/${path}`);

  it('rotates refresh tokens, and reusing a rotated one revokes the whole grant', async () => {
    const config = await discover(server, 'bob', 'diary');
    const first = await codeFlow(config, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('diary'), scope: 'openid offline_access', prompt: 'consent' });
    assert.ok(first.refresh_token, 'offline_access with consent gives a refresh token');
    const second = await oc.refreshTokenGrant(config, first.refresh_token!);
    assert.ok(second.refresh_token && second.refresh_token !== first.refresh_token, 'a new refresh token each time');
    assert.equal((await oc.fetchUserInfo(config, second.access_token, userId)).sub, userId);
    await assert.rejects(oc.refreshTokenGrant(config, first.refresh_token!), (err) => oauthError(err) === 'invalid_grant');
    // The reuse ended the grant: the newer refresh token and its access token are gone too.
    await assert.rejects(oc.refreshTokenGrant(config, second.refresh_token!), (err) => oauthError(err) === 'invalid_grant');
    await assert.rejects(oc.fetchUserInfo(config, second.access_token, userId), (err) => oauthError(err) === 'invalid_token');
  });

  it('revokes an access token (RFC 7009) and introspects for the registered confidential client only (RFC 7662)', async () => {
    const tokens = await codeFlow(confidential, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('ledger'), scope: 'openid data:ledger:read' });
    const active = await oc.tokenIntrospection(confidential, tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, 'ledger');
    assert.equal(active.sub, userId);
    assert.match(String(active.scope), /data:ledger:read/);
    // A public client may not introspect.
    const diary = await discover(server, 'bob', 'diary');
    const fromPublic = await oc.tokenIntrospection(diary, tokens.access_token).catch((err: unknown) => ({ active: false, err }));
    assert.equal(fromPublic.active, false);
    assert.equal((await oc.fetchProtectedResource(confidential, tokens.access_token, data('ledger/books'), 'GET')).status, 200);
    await oc.tokenRevocation(confidential, tokens.access_token);
    assert.equal((await oc.tokenIntrospection(confidential, tokens.access_token)).active, false);
    assert.equal((await oc.fetchProtectedResource(confidential, tokens.access_token, data('ledger/books'), 'GET')).status, 401, 'the data API forgets a revoked token at once');
    await assert.rejects(oc.fetchUserInfo(confidential, tokens.access_token, userId), (err) => oauthError(err) === 'invalid_token');
  });

  it('takes pushed authorization requests (RFC 9126)', async () => {
    const config = await discover(server, 'bob', 'diary');
    const tokens = await codeFlow(config, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('diary'), scope: 'openid' }, { par: true });
    assert.equal(tokens.claims()!.sub, userId);
  });

  it('binds tokens with DPoP (RFC 9449), and the data API then wants the proof', async () => {
    const config = await discover(server, 'bob', 'diary');
    const dpop = oc.getDPoPHandle(config, await oc.randomDPoPKeyPair());
    const tokens = await codeFlow(config, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('diary'), scope: 'openid data:diary:write' }, { dpop });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const written = await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'POST', JSON.stringify({ mood: 'fine' }), new Headers({ 'content-type': 'application/json' }), { DPoP: dpop });
    assert.equal(written.status, 201);
    const read = await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET', undefined, undefined, { DPoP: dpop });
    assert.equal(read.status, 200);
    assert.equal((await read.json())[0].data.mood, 'fine');
    // Without its proof (as Bearer or as X-Auth-Token) the bound token is refused.
    const bearer = await server.call('bob', '/api/v2.6/data/diary/days', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(bearer.status, 401);
    const header = await server.call('bob', '/api/v2.6/data/diary/days', { headers: { 'x-auth-token': tokens.access_token } });
    assert.equal(header.status, 401);
  });

  it('accepts an access token at the data API with exactly its data: scopes, until the owner revokes the client on the dashboard', async () => {
    const config = await discover(server, 'bob', 'diary');
    const browser = new FormClient(server, 'bob');
    const tokens = await codeFlow(config, browser, { redirect_uri: REDIRECT('diary'), scope: 'openid data:diary:read' });
    const read = await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET');
    assert.equal(read.status, 200);
    const asHeader = await server.call('bob', '/api/v2.6/data/diary/days', { headers: { 'x-auth-token': tokens.access_token } });
    assert.equal(asHeader.status, 200, 'an unbound token also works as X-Auth-Token');
    const write = await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'POST', '{"a":1}', new Headers({ 'content-type': 'application/json' }));
    assert.equal(write.status, 403, 'read was consented, not write');
    const other = await oc.fetchProtectedResource(config, tokens.access_token, data('ledger/x'), 'GET');
    assert.equal(other.status, 403);
    // The dashboard lists the client, with a Revoke button.
    const page = await browser.get('/');
    assert.match(page.text, /The diary application/);
    assert.match(page.text, /your diary data/, "its data scopes, in words");
    // Revoke leads to a confirmation page (SPEC 7), which changes nothing; its form revokes.
    assert.match(page.text, /href="\/dashboard\/oauth\/revoke\?client=diary">Revoke/);
    const confirm = await browser.get('/dashboard/oauth/revoke?client=diary');
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Every access and refresh token it holds stops working at once/);
    assert.match(confirm.text, /<input type="hidden" name="client" value="diary">/);
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 200);
    assert.equal((await browser.get('/dashboard/oauth/revoke?client=unknown')).status, 303, 'nothing to ask about');
    const revoked = await browser.post('/dashboard/oauth/revoke', { client: 'diary' });
    assert.equal(revoked.status, 303);
    const after = await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET');
    assert.equal(after.status, 401);
    const log = await browser.get('/');
    assert.match(log.text, /Refused an OAuth token/);
  });

  it('refuses a scope outside the application\'s registration with invalid_scope, back at the client with state', async () => {
    const config = await discover(server, 'bob', 'diary');
    const started = await authorizationRequest(config, { redirect_uri: REDIRECT('diary'), scope: 'openid data:ledger:read' });
    const reply = await server.call('bob', started.url.pathname + started.url.search);
    assert.equal(reply.status, 303);
    const to = new URL(String(reply.headers.location));
    assert.equal(to.searchParams.get('error'), 'invalid_scope');
    assert.equal(to.searchParams.get('state'), started.state);
  });

  it('answers prompt=none without a login with login_required', async () => {
    const config = await discover(server, 'bob', 'diary');
    const started = await authorizationRequest(config, { redirect_uri: REDIRECT('diary'), scope: 'openid', prompt: 'none' });
    const reply = await server.call('bob', started.url.pathname + started.url.search);
    const to = new URL(String(reply.headers.location));
    assert.equal(to.origin + to.pathname, REDIRECT('diary'));
    assert.equal(to.searchParams.get('error'), 'login_required');
    assert.equal(to.searchParams.get('state'), started.state);
  });

  it('skips the pages for a logged-in owner who approved before, and asks again with prompt=login', async () => {
    const config = await discover(server, 'bob', 'diary');
    const browser = new FormClient(server, 'bob');
    await codeFlow(config, browser, { redirect_uri: REDIRECT('diary'), scope: 'openid profile' });
    const pages: string[] = [];
    await codeFlow(config, browser, { redirect_uri: REDIRECT('diary'), scope: 'openid profile', prompt: 'none' }, { onPage: (p) => pages.push(p) });
    assert.equal(pages.length, 0, "no page: approved before, still logged in");
    await codeFlow(config, browser, { redirect_uri: REDIRECT('diary'), scope: 'openid profile', prompt: 'login' }, { onPage: (p) => pages.push(p) });
    assert.deepEqual(pages, ['login']);
  });

  it('asks for a login again (prompt=none: login_required) once the owner logged out of the HAT', async () => {
    const config = await discover(server, 'bob', 'diary');
    const browser = new FormClient(server, 'bob');
    await codeFlow(config, browser, { redirect_uri: REDIRECT('diary'), scope: 'openid' });
    await browser.get('/');
    assert.equal((await browser.post('/logout', {})).status, 303);
    const started = await authorizationRequest(config, { redirect_uri: REDIRECT('diary'), scope: 'openid', prompt: 'none' });
    const reply = await browser.get(started.url.pathname + started.url.search);
    assert.equal(new URL(String(reply.headers.location)).searchParams.get('error'), 'login_required');
  });

  it('refuses an OAuth access token once the owner is disabled, and again works when enabled', async () => {
    const config = await discover(server, 'bob', 'diary');
    const tokens = await codeFlow(config, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('diary'), scope: 'openid data:diary:read' });
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 200);
    assert.equal((await admin(server, 'POST', '/api/admin/hats/bob/disable')).status, 200);
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 401);
    assert.equal((await admin(server, 'POST', '/api/admin/hats/bob/enable')).status, 200);
  });

  it('refuses an OAuth access token once the owner disables the application on the HAT', async () => {
    const config = await discover(server, 'bob', 'diary');
    const tokens = await codeFlow(config, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('diary'), scope: 'openid data:diary:read' });
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 200);
    const owner = await server.ownerToken('bob');
    assert.equal((await server.call('bob', '/api/v2.6/applications/diary/setup', { method: 'POST', headers: { 'x-auth-token': owner } })).status, 200);
    assert.equal((await server.call('bob', '/api/v2.6/applications/diary/disable', { method: 'POST', headers: { 'x-auth-token': owner } })).status, 200);
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 401);
    // Enabled again, for the tests that follow.
    assert.equal((await server.call('bob', '/api/v2.6/applications/diary/setup', { method: 'POST', headers: { 'x-auth-token': owner } })).status, 200);
  });

  it('refuses a wrong PKCE verifier and a replayed code with invalid_grant', async () => {
    const config = await discover(server, 'bob', 'diary');
    const started = await authorizationRequest(config, { redirect_uri: REDIRECT('diary'), scope: 'openid' });
    const callback = await playBrowser(new FormClient(server, 'bob'), started.url);
    const checks = { expectedState: started.state, expectedNonce: started.nonce };
    await assert.rejects(
      oc.authorizationCodeGrant(config, callback, { ...checks, pkceCodeVerifier: oc.randomPKCECodeVerifier() }),
      (err) => oauthError(err) === 'invalid_grant',
    );
    const again = await authorizationRequest(config, { redirect_uri: REDIRECT('diary'), scope: 'openid' });
    const second = await playBrowser(new FormClient(server, 'bob'), again.url);
    const good = { expectedState: again.state, expectedNonce: again.nonce, pkceCodeVerifier: again.verifier };
    const tokens = await oc.authorizationCodeGrant(config, second, good);
    await assert.rejects(oc.authorizationCodeGrant(config, second, good), (err) => oauthError(err) === 'invalid_grant');
    // The replay also ended what the code had given.
    await assert.rejects(oc.fetchUserInfo(config, tokens.access_token, userId), (err) => oauthError(err) === 'invalid_token');
  });

  it('shows an error page on the HAT, never a redirect, for an unknown client or an unregistered redirect_uri', async () => {
    const config = await discover(server, 'bob', 'diary');
    for (const [clientId, redirect] of [['no-such-app', REDIRECT('diary')], ['diary', 'https://evil.example.com/callback']] as const) {
      const started = await authorizationRequest(config, { redirect_uri: redirect, scope: 'openid' });
      started.url.searchParams.set('client_id', clientId);
      const reply = await server.call('bob', started.url.pathname + started.url.search, { headers: { accept: 'text/html' } });
      assert.equal(reply.status, 400);
      assert.equal(reply.headers.location, undefined);
      assert.match(String(reply.headers['content-type']), /html/);
      assert.match(reply.text, /bob\.hat\.localhost/);
      assert.doesNotMatch(reply.text, /evil\.example\.com\/callback\?/);
    }
  });

  it('refuses an OAuth access token after a password change', async () => {
    const config = await discover(server, 'bob', 'diary');
    const tokens = await codeFlow(config, new FormClient(server, 'bob'), { redirect_uri: REDIRECT('diary'), scope: 'openid data:diary:read' });
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 200);
    const owner = await server.ownerToken('bob');
    const changed = await server.call('bob', '/control/v2/auth/password', {
      method: 'POST',
      headers: { 'x-auth-token': owner },
      body: { password: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD} again` },
    });
    assert.equal(changed.status, 200);
    assert.equal((await oc.fetchProtectedResource(config, tokens.access_token, data('diary/days'), 'GET')).status, 401);
  });
});
