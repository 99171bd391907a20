import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oc from 'openid-client';
import { admin, registerApp } from '../support/apps.js';
import { FormClient } from '../support/forms.js';
import { authorizationRequest, discover, issuerOf, playBrowser } from '../support/oidc.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** SPEC 12 with openid-client (unmodified) as the relying party, over real HTTP. */
describe('OAuth 2.1 / OpenID Connect: discovery and the code flow with PKCE', () => {
  let server: TestServer;
  let userId: string;
  const REDIRECT = 'https://notes.example.com/callback';

  before(async () => {
    server = await startTestServer();
    ({ userId } = await server.createHat('alice'));
    await registerApp(server, 'notes', [{ namespace: 'notes', access: 'write' }]);
  });
  after(() => server.stop());

  it('serves discovery at both well-known paths, with the HAT as issuer and the HAT keys as JWKS', async () => {
    const config = await discover(server, 'alice', 'notes');
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, issuerOf(server, 'alice').href.replace(/\/$/, ''));
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.ok(!meta.grant_types_supported?.includes('implicit') && !meta.grant_types_supported?.includes('password'));
    const other = await server.call('alice', '/.well-known/oauth-authorization-server');
    assert.equal(other.status, 200);
    assert.equal(other.json().issuer, meta.issuer);
    const jwks = await server.call('alice', new URL(meta.jwks_uri!).pathname);
    const ours = await server.call('alice', '/.well-known/jwks.json');
    assert.deepEqual(
      jwks.json().keys.map((k: { kid: string; n: string }) => [k.kid, k.n]),
      ours.json().keys.map((k: { kid: string; n: string }) => [k.kid, k.n]),
    );
  });

  it('runs the code flow for a public client: PKCE, iss in the response, ID token and userinfo per scope', async () => {
    const config = await discover(server, 'alice', 'notes');
    const started = await authorizationRequest(config, { redirect_uri: REDIRECT, scope: 'openid profile' });
    const pages: string[] = [];
    const callback = await playBrowser(new FormClient(server, 'alice'), started.url, { onPage: (kind) => pages.push(kind) });
    assert.deepEqual(pages, ['login', 'consent']);
    assert.equal(callback.origin + callback.pathname, REDIRECT);
    assert.equal(callback.searchParams.get('iss'), config.serverMetadata().issuer);
    const tokens = await oc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.sub, userId);
    assert.equal(claims.hat, server.hatHost('alice'));
    assert.equal(claims.preferred_username, 'alice');
    assert.equal(claims.email, undefined, 'no email without the email scope');
    assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    assert.equal(header.alg, 'RS256');
    assert.ok(header.kid);
    const info = await oc.fetchUserInfo(config, tokens.access_token, userId);
    assert.equal(info.sub, userId);
    assert.equal(info.name, 'alice');
    assert.equal(info.email, undefined);
  });

  it('runs the code flow for a confidential client (secret from the admin API, Basic and post) with the email scope', async () => {
    const issued = await admin(server, 'POST', '/api/admin/applications/notes/client-secret');
    assert.equal(issued.status, 201);
    const { clientId, clientSecret } = issued.json();
    assert.equal(clientId, 'notes');
    for (const auth of [oc.ClientSecretBasic(clientSecret), oc.ClientSecretPost(clientSecret)]) {
      const config = await discover(server, 'alice', 'notes', clientSecret, auth);
      const started = await authorizationRequest(config, { redirect_uri: REDIRECT, scope: 'openid email' });
      const callback = await playBrowser(new FormClient(server, 'alice'), started.url);
      const tokens = await oc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
      assert.equal(tokens.claims()!.email, 'alice@example.com');
      assert.equal(tokens.claims()!.email_verified, false);
    }
    // The public form no longer works once the application has a secret; a wrong secret neither.
    const publicConfig = await discover(server, 'alice', 'notes');
    const wrong = await discover(server, 'alice', 'notes', 'not-the-secret', oc.ClientSecretBasic('not-the-secret'));
    for (const config of [publicConfig, wrong]) {
      const started = await authorizationRequest(config, { redirect_uri: REDIRECT, scope: 'openid' });
      const callback = await playBrowser(new FormClient(server, 'alice'), started.url);
      await assert.rejects(
        oc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }),
        (err: { error?: string; cause?: Array<{ parameters?: { error?: string } }> }) =>
          (err.error ?? (Array.isArray(err.cause) ? err.cause[0]?.parameters?.error : undefined)) === 'invalid_client',
      );
    }
  });
});
