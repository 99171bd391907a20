/**
 * A standalone oidc-provider, as its documentation sets one up, for `bench/oauth.ts` to compare
 * the HAT server's OAuth endpoints with. Its storage is the same as the server's — the SQLite
 * oidc table with WAL and a full sync on every commit (STANDALONE_DATA_DIR) — so that the
 * comparison shows what the server adds around the library, not the price of durability
 * (STANDALONE_MEMORY=1 uses the library's in-memory adapter instead). One public client,
 * PKCE required, refresh-token rotation, an interaction that logs in and consents at once, and a
 * `/resource` route that looks an access token up as our data API does. Same IPC as
 * server-process.ts (ready, rss, cpu, stop).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Provider } from 'oidc-provider';
import { adapterFor } from '../src/services/oidc/adapter.js';
import { sqliteOidc } from '../src/store/sqlite/oidc.js';

export const STANDALONE_CLIENT = 'bench-app';
export const STANDALONE_REDIRECT = 'https://bench.example.com/callback';

const server = http.createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;

function sqliteAdapter() {
  const db = new Database(path.join(process.env.STANDALONE_DATA_DIR ?? '.', 'standalone.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return adapterFor(sqliteOidc(db), 'standalone', async () => undefined);
}

const provider = new Provider(`http://op.localhost:${port}`, {
  ...(process.env.STANDALONE_MEMORY === '1' ? {} : { adapter: sqliteAdapter() }),
  clients: [
    {
      client_id: STANDALONE_CLIENT,
      redirect_uris: [STANDALONE_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  async findAccount(_ctx: unknown, sub: string) {
    return { accountId: sub, claims: async () => ({ sub }) };
  },
  features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
  pkce: { required: () => true },
  responseTypes: ['code'],
  rotateRefreshToken: true,
  cookies: { keys: ['bench-standalone-cookie-key'] },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  routes: { authorization: '/oauth/authorize', token: '/oauth/token', userinfo: '/oauth/userinfo', jwks: '/oauth/jwks' },
});
const handle = provider.callback();

server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      const accountId = 'bench-user';
      if (details.prompt.name === 'login') {
        const to = await provider.interactionResult(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
        res.writeHead(303, { location: to }).end();
        return;
      }
      const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      const grant = existing ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details;
      if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope((missing.missingOIDCScope as string[]).join(' '));
      const grantId = await grant.save();
      const to = await provider.interactionResult(req, res, { consent: existing ? {} : { grantId } }, { mergeWithLastSubmission: true });
      res.writeHead(303, { location: to }).end();
      return;
    }
    if (url.pathname === '/resource') {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const token = m ? await provider.AccessToken.find(m[1]!) : undefined;
      if (!token) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"invalid token"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      return;
    }
    await handle(req, res);
  })().catch((err: unknown) => {
    res.writeHead(500).end(String(err));
  });
});

process.on('message', (m: { type: string }) => {
  if (m.type === 'rss') process.send?.({ type: 'rss', rss: process.memoryUsage().rss });
  if (m.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', micros: user + system });
  }
  if (m.type === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port, pid: process.pid });
