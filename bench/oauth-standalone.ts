/**
 * A standalone oidc-provider, as its documentation sets one up, for `bench/oauth.ts` to compare
 * the HAT server's OAuth endpoints with. Its storage is the same as the server's — the SQLite
 * oidc table with WAL and a full sync on every commit (STANDALONE_DATA_DIR) — so that the
 * comparison shows what the server adds around the library, not the price of durability
 * (STANDALONE_MEMORY=1 uses the library's in-memory adapter instead). One public client,
 * PKCE required, refresh-token rotation, an interaction that logs in and consents at once.
 *
 * `/resource` does the data API's work without the server around it: it looks the access token
 * up (the library's AccessToken.find) and then reads the same records the HAT's
 * `GET /api/v2.6/data/bench/items` reads — BENCH_RECORDS records with the same data
 * (bench/oauth-records.ts), in the same SQLite `records` table through the same store code
 * (src/store/sqlite/records.ts) with the same default page (`readOptions({})`) — and answers them
 * rendered the same way (`renderRecords`). So the data-API ratio is like for like: what is left
 * is our HTTP stack (log, headers, tenancy, routing, the remembered token check, permissions).
 * Same IPC as server-process.ts (ready, rss, cpu, stop).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Provider } from 'oidc-provider';
import { readOptions, renderRecords } from '../src/services/data.js';
import { adapterFor } from '../src/services/oidc/adapter.js';
import { openDatabase } from '../src/store/sqlite/db.js';
import { sqliteOidc } from '../src/store/sqlite/oidc.js';
import { RECORDS_SCHEMA, sqliteRecords } from '../src/store/sqlite/records.js';
import { BENCH_ENDPOINT, BENCH_RECORDS, benchRecordData } from './oauth-records.js';

export const STANDALONE_CLIENT = 'bench-app';
export const STANDALONE_REDIRECT = 'https://bench.example.com/callback';

const server = http.createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;

const RESOURCE_PAGE = readOptions({});

// One SQLite file (WAL, full sync: the server's own openDatabase) for the oidc records and the data records.
const sqlite = openDatabase(process.env.STANDALONE_DATA_DIR ?? '.', 'standalone.db', [RECORDS_SCHEMA]);
const records = sqliteRecords(sqlite);
const count = BENCH_RECORDS;
await records.insert('standalone', Array.from({ length: count }, (_, i) => ({
  recordId: randomUUID(),
  endpoint: BENCH_ENDPOINT,
  json: JSON.stringify(benchRecordData(i)),
  createdAt: new Date(),
})));

const provider = new Provider(`http://op.localhost:${port}`, {
  ...(process.env.STANDALONE_MEMORY === '1' ? {} : { adapter: adapterFor(sqliteOidc(sqlite.db), 'standalone', async () => undefined) }),
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
      const page = await records.read('standalone', BENCH_ENDPOINT, RESOURCE_PAGE);
      res.writeHead(200, { 'content-type': 'application/json' }).end(renderRecords(page));
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
