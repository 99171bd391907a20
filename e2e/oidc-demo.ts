import { startOidcDemo, OIDC_DEMO_CLIENT } from '../demo/oidc.js';
import type { RunningDemo } from '../demo/server.js';
import { admin } from '../test/support/apps.js';
import type { TestServer } from '../test/support/server.js';
import { expect } from './fixtures.js';

export interface RegisteredOidcDemo {
  /** The application's name, shown on the login and consent pages. */
  name: string;
  description: string;
  /** The client_id; the demo's own (hat-login-demo) unless given. */
  clientId?: string;
  /** The address the demo listens on: 127.0.0.1 unless given (e.g. '::1'). */
  host?: string;
}

/**
 * The demo website in its OpenID Connect mode (openid-client) on a free port, registered on the
 * server as an application with that client_id, its /callback as the one redirect URI and no
 * data permissions.
 */
export async function startRegisteredOidcDemo(server: TestServer, app: RegisteredOidcDemo): Promise<RunningDemo> {
  const clientId = app.clientId ?? OIDC_DEMO_CLIENT;
  const site = await startOidcDemo({ port: 0, hatDomain: 'hat.localhost', clientId, ...(app.host ? { host: app.host } : {}) });
  const registered = await admin(server, 'POST', '/api/admin/applications', {
    id: clientId,
    name: app.name,
    description: app.description,
    homepage: '',
    version: '1.0.0',
    redirectUris: [`${site.url}/callback`],
    permissions: [],
  });
  expect(registered.status).toBe(201);
  return site;
}
