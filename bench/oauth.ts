/**
 * The OAuth 2 / OpenID Connect benchmark (SPEC 12), beside a standalone oidc-provider doing the
 * same in the same run (bench/oauth-standalone.ts), each in a child process of its own:
 *
 * 1. the token endpoint: authorization-code exchanges (public client, PKCE) and refresh-token
 *    rotations, 16 at a time, for a fixed time; codes are made beforehand by a logged-in browser
 *    (one authorization request each, no page: already approved);
 * 2. the data API with an OAuth access token (autocannon, as the other phases), reading the
 *    BENCH_RECORDS records of `bench/items` (bench/oauth-records.ts), compared two ways:
 *    - against the standalone's `/resource`, which does the same work without our server around
 *      it: the library's token look-up, then the same SQLite read of the same records through
 *      the same store code, rendered the same way. Like for like: the ratio is the price of our
 *      HTTP stack (log, headers, tenancy, routing, remembered token check, permissions). Before,
 *      `/resource` only looked the token up and ours read data, which made the ratio meaningless;
 *    - against the same request in our server with the application's original token
 *      (`X-Auth-Token`, RS256 JWT): same stack and same read, so the ratio is what an OAuth
 *      token costs compared with the token the data API had before (about 1 when it is right);
 * 3. memory: a fresh server, 1,000 HATs, then one OAuth login on each (a Provider per HAT in the
 *    cache): the RSS difference per cached provider.
 *
 * `npm run bench` runs it as its `oauth` phase; `tsx bench/oauth.ts` runs it alone.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormClient } from '../test/support/forms.js';
import { request, type RequestOptions } from '../test/support/http.js';
import { playBrowser } from '../test/support/oidc.js';
import type { TestServer } from '../test/support/server.js';
import { startChild, type Child } from './children.js';
import { measure, type Measure } from './load.js';
import { BENCH_ENDPOINT, BENCH_RECORDS, benchRecordData } from './oauth-records.js';

const PASSWORD = 'correct horse battery staple';
const HAT_DOMAIN = 'hat.localhost';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const CLIENT = 'bench-app';
const REDIRECT = 'https://bench.example.com/callback';
const VERIFIER = 'bench-verifier-bench-verifier-bench-verifier-0123';
const WORKERS = 16;
const SECONDS = 8;
const CODES = 600;
const RSS_HATS = Number(process.env.BENCH_OAUTH_RSS_HATS ?? 1000);
const RSS_CONCURRENCY = 8;

interface Side {
  name: string;
  child: Child;
  host: string;
  browser: FormClient;
  resource: string;
}

export interface OauthBenchResult {
  tokenCode: { ours: Measure; standalone: Measure; ratio: number };
  tokenRefresh: { ours: Measure; standalone: Measure; ratio: number };
  /** Ours with an OAuth token vs the standalone's token look-up plus the same read. */
  dataApi: { ours: Measure; standalone: Measure; ratio: number };
  /** Ours with an OAuth token vs ours with the application's original token, same read. */
  dataApiNative: { oauth: Measure; applicationToken: Measure; ratio: number };
  rss: { hats: number; beforeMiB: number; afterMiB: number; perProviderMiB: number; seconds: number };
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function fakeServer(port: number, host: (hat: string | null) => string): TestServer {
  return { port, call: (hat: string | null, p: string, o?: RequestOptions) => request(port, host(hat), p, o), hatHost: host } as unknown as TestServer;
}

async function challenge(): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(VERIFIER));
  return Buffer.from(digest).toString('base64url');
}

async function authorizeUrl(side: Side, scope: string, extra: Record<string, string> = {}): Promise<URL> {
  const url = new URL(`http://${side.host}/oauth/authorize`);
  const params = { client_id: CLIENT, redirect_uri: REDIRECT, response_type: 'code', scope, code_challenge: await challenge(), code_challenge_method: 'S256', state: 's', ...extra };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

async function code(side: Side, scope = 'openid', extra: Record<string, string> = {}): Promise<string> {
  const back = await playBrowser(side.browser, await authorizeUrl(side, scope, extra));
  const found = back.searchParams.get('code');
  if (!found) throw new Error(`${side.name}: no code (${back.href})`);
  return found;
}

function tokenCall(side: Side, form: Record<string, string>) {
  return request(side.child.port, side.host, '/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT, ...form }).toString(),
  });
}

/**
 * `workers` loops doing `op` until `seconds` pass or `op` has nothing left (null); every answer
 * must be 200. `cpu`: the serving process's CPU time, for CPU µs per request — steadier than
 * req/s on a shared machine.
 */
async function drive(route: string, seconds: number, workers: number, cpu: () => Promise<number>, op: (worker: number) => Promise<number | null>): Promise<Measure> {
  const latencies: number[] = [];
  let failures = 0;
  const cpuBefore = await cpu();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const started = performance.now();
        const status = await op(w);
        if (status === null) return;
        if (status === 200) latencies.push(performance.now() - started);
        else failures++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpuMicrosPerRequest = Math.round(((await cpu()) - cpuBefore) / Math.max(1, latencies.length + failures));
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
  return { route, connections: workers, seconds: Math.round(elapsed * 10) / 10, reqPerSec: Math.round(latencies.length / elapsed), p50: at(50), p99: at(99), requests: latencies.length, cpuMicrosPerRequest, non2xx: failures, errors: 0 };
}

async function tokenPhases(side: Side): Promise<{ code: Measure; refresh: Measure }> {
  await code(side, 'openid'); // logs in and consents once: later requests need no page
  // Codes live 60 s: made just before they are exchanged, 8 authorization requests at a time.
  const codes: string[] = [];
  while (codes.length < CODES) codes.push(...(await Promise.all(Array.from({ length: 8 }, () => code(side)))));
  const exchange = await drive(`${side.name}: POST /oauth/token (code)`, 60, WORKERS, side.child.cpu, async () => {
    const next = codes.pop();
    if (!next) return null;
    return (await tokenCall(side, { grant_type: 'authorization_code', code: next, redirect_uri: REDIRECT, code_verifier: VERIFIER })).status;
  });
  const refreshTokens: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const c = await code(side, 'openid offline_access', { prompt: 'consent' });
    const reply = await tokenCall(side, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: VERIFIER });
    refreshTokens.push(reply.json<{ refresh_token: string }>().refresh_token);
  }
  const refresh = await drive(`${side.name}: POST /oauth/token (refresh)`, SECONDS, WORKERS, side.child.cpu, async (w) => {
    const reply = await tokenCall(side, { grant_type: 'refresh_token', refresh_token: refreshTokens[w]! });
    if (reply.status === 200) refreshTokens[w] = reply.json<{ refresh_token: string }>().refresh_token;
    return reply.status;
  });
  return { code: exchange, refresh };
}

async function oauthToken(side: Side, scope: string): Promise<string> {
  const c = await code(side, scope);
  const reply = await tokenCall(side, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: VERIFIER });
  return reply.json<{ access_token: string }>().access_token;
}

/** One answer first (it must be the records, the same size on both sides), then autocannon. */
async function dataPhase(side: Side, route: string, headers: Record<string, string>, expectedBytes?: number): Promise<Measure & { bytes: number }> {
  const first = await request(side.child.port, side.host, side.resource, { headers });
  const records = first.status === 200 ? first.json<unknown[]>() : [];
  if (records.length !== BENCH_RECORDS) throw new Error(`${route}: expected ${BENCH_RECORDS} records, got ${first.status} ${first.text.slice(0, 200)}`);
  const bytes = Buffer.byteLength(first.text);
  if (expectedBytes !== undefined && bytes !== expectedBytes) throw new Error(`${route}: ${bytes} bytes, the other side answered ${expectedBytes}`);
  const measured = await measure(route, { port: side.child.port, host: side.host, path: side.resource, headers, cpu: () => side.child.cpu() });
  return { ...measured, bytes };
}

/** The owner writes the benchmark's records to the HAT, enables the application and gets its original token. */
async function seedHat(side: Side): Promise<{ applicationToken: string }> {
  const call = (p: string, options: RequestOptions = {}) => request(side.child.port, side.host, p, options);
  const login = await call('/users/access_token', { headers: { username: 'bench', password: encodeURIComponent(PASSWORD) } });
  const owner = { 'x-auth-token': login.json<{ accessToken: string }>().accessToken };
  const written = await call(`/api/v2.6/data/${BENCH_ENDPOINT}`, {
    method: 'POST',
    headers: owner,
    body: Array.from({ length: BENCH_RECORDS }, (_, i) => benchRecordData(i)),
  });
  if (written.status !== 201) throw new Error(`writing the bench records: ${written.status} ${written.text}`);
  const setup = await call(`/api/v2.6/applications/${CLIENT}/setup`, { method: 'POST', headers: owner });
  if (setup.status !== 200) throw new Error(`enabling ${CLIENT}: ${setup.status} ${setup.text}`);
  const token = await call(`/api/v2.6/applications/${CLIENT}/access-token`, { headers: owner });
  if (token.status !== 200) throw new Error(`the token of ${CLIENT}: ${token.status} ${token.text}`);
  return { applicationToken: token.json<{ accessToken: string }>().accessToken };
}

/** With BENCH_CPU_PROF=<dir>, each side writes a CPU profile to <dir>/oauth-<side>, to be compared side by side. */
function profiled(side: string): { nodeFlags?: string[] } {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir, `oauth-${side}`)}`] } : {};
}

function serverEnv(dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
    KEY_ENCRYPTION_SECRET: 'bench-key-secret-0123456789abcdef',
    ADMIN_TOKEN,
    DATA_DIR: dataDir,
    PORT: '0',
    HAT_DOMAIN,
    LOG_LEVEL: 'info',
    SIGNUP_PER_CLIENT_HOUR: '100000',
    SIGNUP_PER_MINUTE: '100000',
  };
}

async function signup(child: Child, name: string): Promise<void> {
  const reply = await request(child.port, `${HAT_DOMAIN}:${child.port}`, '/api/signup', {
    method: 'POST',
    body: { username: name, email: `${name}@example.com`, pass: PASSWORD, passRepeat: PASSWORD, fullName: name },
  });
  if (reply.status !== 201) throw new Error(`signup of ${name}: ${reply.status} ${reply.text}`);
}

async function register(child: Child): Promise<void> {
  const reply = await request(child.port, `${HAT_DOMAIN}:${child.port}`, '/api/admin/applications', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { id: CLIENT, name: 'Bench app', description: '', homepage: '', version: '1.0.0', redirectUris: [REDIRECT], permissions: [{ namespace: 'bench', access: 'read' }] },
  });
  if (reply.status !== 201) throw new Error(`registering the bench app: ${reply.status} ${reply.text}`);
}

function ours(child: Child, hat: string): Side {
  const host = (h: string | null) => (h ? `${h}.${HAT_DOMAIN}:${child.port}` : `${HAT_DOMAIN}:${child.port}`);
  return { name: 'HAT', child, host: host(hat), browser: new FormClient(fakeServer(child.port, host), hat), resource: '/api/v2.6/data/bench/items' };
}

async function rssPhase(work: string): Promise<OauthBenchResult['rss']> {
  const child = await startChild('server-process.ts', { env: serverEnv(path.join(work, 'rss')) });
  try {
    await register(child);
    let next = 0;
    await Promise.all(Array.from({ length: RSS_CONCURRENCY }, async () => {
      while (next < RSS_HATS) await signup(child, `oauth${String(next++).padStart(4, '0')}`);
    }));
    const before = await child.rss();
    const t0 = Date.now();
    next = 0;
    await Promise.all(Array.from({ length: RSS_CONCURRENCY }, async () => {
      while (next < RSS_HATS) {
        const side = ours(child, `oauth${String(next++).padStart(4, '0')}`);
        const c = await code(side);
        const reply = await tokenCall(side, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: VERIFIER });
        if (reply.status !== 200) throw new Error(`token for ${side.host}: ${reply.status} ${reply.text}`);
      }
    }));
    const after = await child.rss();
    return { hats: RSS_HATS, beforeMiB: mib(before), afterMiB: mib(after), perProviderMiB: Math.round(((after - before) / RSS_HATS / 2 ** 20) * 1000) / 1000, seconds: Math.round((Date.now() - t0) / 1000) };
  } finally {
    await child.stop();
  }
}

export async function benchOauth(say: (line?: string) => void = console.log): Promise<OauthBenchResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'hat-bench-oauth-'));
  const children: Child[] = [];
  try {
    const server = await startChild('server-process.ts', { env: serverEnv(path.join(work, 'main')), ...profiled('hat') });
    children.push(server);
    await register(server);
    await signup(server, 'bench');
    const hat = ours(server, 'bench');
    const opDir = path.join(work, 'standalone');
    mkdirSync(opDir);
    const op = await startChild('oauth-standalone.ts', { env: { STANDALONE_DATA_DIR: opDir }, ...profiled('standalone') });
    children.push(op);
    const opHost = `op.localhost:${op.port}`;
    const standalone: Side = { name: 'standalone', child: op, host: opHost, browser: new FormClient(fakeServer(op.port, () => opHost), null), resource: '/resource' };

    say('OAuth: token endpoint, HAT server…');
    const ourTokens = await tokenPhases(hat);
    say('OAuth: token endpoint, standalone oidc-provider…');
    const theirTokens = await tokenPhases(standalone);
    say('OAuth: data API…');
    const { applicationToken } = await seedHat(hat);
    const ourData = await dataPhase(hat, `HAT: GET ${hat.resource} (OAuth token)`, { authorization: `Bearer ${await oauthToken(hat, 'openid data:bench:read')}` });
    const theirData = await dataPhase(standalone, `standalone: GET ${standalone.resource} (token + same read)`, { authorization: `Bearer ${await oauthToken(standalone, 'openid')}` }, ourData.bytes);
    const nativeData = await dataPhase(hat, `HAT: GET ${hat.resource} (application token)`, { 'x-auth-token': applicationToken }, ourData.bytes);
    const ratio = (a: Measure, b: Measure) => Math.round((a.reqPerSec / b.reqPerSec) * 100) / 100;
    const result: OauthBenchResult = {
      tokenCode: { ours: ourTokens.code, standalone: theirTokens.code, ratio: ratio(ourTokens.code, theirTokens.code) },
      tokenRefresh: { ours: ourTokens.refresh, standalone: theirTokens.refresh, ratio: ratio(ourTokens.refresh, theirTokens.refresh) },
      dataApi: { ours: ourData, standalone: theirData, ratio: ratio(ourData, theirData) },
      dataApiNative: { oauth: ourData, applicationToken: nativeData, ratio: ratio(ourData, nativeData) },
      rss: await rssPhase(work),
    };
    say('\nOAuth / OpenID Connect (SPEC 12), beside a standalone oidc-provider in the same run:');
    say(`${'route'.padEnd(56)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'CPU µs/req'.padStart(11)}  non-2xx  ratio`);
    for (const [a, b, r] of [
      [result.tokenCode.ours, result.tokenCode.standalone, result.tokenCode.ratio],
      [result.tokenRefresh.ours, result.tokenRefresh.standalone, result.tokenRefresh.ratio],
      [result.dataApi.ours, result.dataApi.standalone, result.dataApi.ratio],
      [result.dataApiNative.oauth, result.dataApiNative.applicationToken, result.dataApiNative.ratio],
    ] as const) {
      for (const m of [a, b]) say(`${m.route.padEnd(56)} ${String(m.reqPerSec).padStart(8)} ${m.p50.toFixed(2).padStart(8)} ${m.p99.toFixed(2).padStart(8)} ${String(Math.round(m.cpuMicrosPerRequest)).padStart(11)}  ${String(m.non2xx).padStart(7)}${m === a ? `  ${r}` : ''}`);
    }
    const rss = result.rss;
    say(`RSS with ${rss.hats} HATs: ${rss.beforeMiB} MiB; after one OAuth login on each (${rss.seconds} s): ${rss.afterMiB} MiB → ${rss.perProviderMiB} MiB per cached provider`);
    return result;
  } finally {
    for (const c of children) await c.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchOauth();
}
