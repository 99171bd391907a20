/**
 * `npm run bench`: how fast tokens are validated and issued, measured against two bare Koa
 * routes on the same machine, how validation holds up while logins hash passwords, and how much
 * memory a server holding 1,000 HATs uses. Prints a table and writes `bench/results.json`.
 *
 * The servers run in child processes; autocannon drives them from this process, so load
 * generator and server never share an event loop. Nothing is pinned to a core: on a 2-core
 * machine the server gets about one core and autocannon the other.
 *
 * The real server logs at LOG_LEVEL=info (one line per request, as in production) with its
 * stdout going to /dev/null, so the cost of building and writing each line is counted but no
 * terminal is. Variables for experiments:
 *   BENCH_LOG=devnull|file|warn   where the server's request log goes (default devnull)
 *   BENCH_ONLY=validate,bare,login,alongside,data,hardening,metrics,rss,oauth   run only these phases
 *   BENCH_CPU_PROF=<dir>          write a CPU profile of the server to <dir> (node --cpu-prof)
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../test/support/http.js';
import { startChild, type Child } from './children.js';
import { CONNECTIONS, MEASURE_SECONDS, measure, measureTogether, WARM_UP_SECONDS, type Measure, type Target } from './load.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PASSWORD = 'correct horse battery staple';
const HAT_DOMAIN = 'hat.localhost';
const RSS_HATS = 1000;
const RSS_CONCURRENCY = 8;

const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const runs = (phase: string) => only.size === 0 || only.has(phase);
const logMode = process.env.BENCH_LOG ?? 'devnull';
const work = mkdtempSync(path.join(tmpdir(), 'hat-bench-'));
const started = Date.now();

function serverEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
    KEY_ENCRYPTION_SECRET: 'bench-key-secret-0123456789abcdef',
    ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
    DATA_DIR: dataDir,
    PORT: '0',
    HAT_DOMAIN,
    LOG_LEVEL: logMode === 'warn' ? 'warn' : 'info',
    // The benchmark signs up many HATs from one address; the limits themselves are not measured.
    SIGNUP_PER_CLIENT_HOUR: '100000',
    SIGNUP_PER_MINUTE: '100000',
    ...extra,
  };
}

async function startServer(name: string, extra: Record<string, string> = {}): Promise<Child> {
  const profile = process.env.BENCH_CPU_PROF;
  return startChild('server-process.ts', {
    env: serverEnv(path.join(work, name), extra),
    ...(logMode === 'file' ? { stdoutFile: path.join(work, `${name}.log`) } : {}),
    ...(profile ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] } : {}),
  });
}

async function signup(server: Child, name: string): Promise<void> {
  const reply = await request(server.port, `${HAT_DOMAIN}:${server.port}`, '/api/signup', {
    method: 'POST',
    body: { username: name, email: `${name}@example.com`, pass: PASSWORD, passRepeat: PASSWORD, fullName: name },
  });
  if (reply.status !== 201) throw new Error(`signup of ${name}: ${reply.status} ${reply.text}`);
}

const ms = (n: number) => n.toFixed(2).padStart(8);
const say = (line = '') => console.log(line);

function table(rows: Measure[]): void {
  say(`${'route'.padEnd(44)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'CPU µs/req'.padStart(11)}  conns  non-2xx/errors`);
  for (const r of rows) {
    const cpu = Number.isNaN(r.cpuMicrosPerRequest) ? '-' : r.cpuMicrosPerRequest.toFixed(1);
    say(
      `${r.route.padEnd(44)} ${String(r.reqPerSec).padStart(8)} ${ms(r.p50)} ${ms(r.p99)} ${cpu.padStart(11)}  ${String(r.connections).padStart(5)}  ${r.non2xx}/${r.errors}`,
    );
  }
}

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  setup: {
    connections: CONNECTIONS,
    warmUpSeconds: WARM_UP_SECONDS,
    measureSeconds: MEASURE_SECONDS,
    serverLog: logMode === 'warn' ? 'LOG_LEVEL=warn' : `LOG_LEVEL=info, stdout to ${logMode === 'file' ? 'a file' : '/dev/null'}`,
    passwordHash: 'default (Argon2id m=19456 KiB, t=2, p=1)',
  },
};

const children: Child[] = [];
try {
  say(`HAT Login benchmark — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, nothing pinned`);
  say(`${CONNECTIONS} connections, ${WARM_UP_SECONDS} s warm-up then ${MEASURE_SECONDS} s measured per phase; ` +
    `server ${String((results.setup as { serverLog: string }).serverLog)}\n`);

  const server = await startServer('main');
  children.push(server);
  const hatHost = `bench.${HAT_DOMAIN}:${server.port}`;
  // Logins spread over two HATs: the login throttle counts a client's attempts in flight, and
  // allows ten at a time per HAT; 16 connections on one HAT would measure the throttle.
  await signup(server, 'bench');
  await signup(server, 'bench-two');
  const login = await request(server.port, hatHost, '/users/access_token', {
    headers: { username: 'bench', password: encodeURIComponent(PASSWORD) },
  });
  const token = login.json<{ accessToken: string }>().accessToken;
  const publicPem = (await request(server.port, hatHost, '/publickey')).text;

  const bare = await startChild('bare.ts', { env: { BARE_PUBLIC_PEM: publicPem, BARE_ISSUER: hatHost } });
  children.push(bare);

  const validate: Target = {
    port: server.port,
    host: hatHost,
    path: '/users/access_token/validate',
    headers: { 'x-auth-token': token },
    cpu: server.cpu,
  };
  const loginOn = (name: string): Target => ({
    cpu: server.cpu,
    port: server.port,
    host: `${name}.${HAT_DOMAIN}:${server.port}`,
    path: '/users/access_token',
    headers: { username: name, password: encodeURIComponent(PASSWORD) },
  });
  const accessToken = loginOn('bench');

  const rows: Measure[] = [];
  const byRoute: Record<string, Measure> = {};
  const keep = (m: Measure) => {
    rows.push(m);
    byRoute[m.route] = m;
    return m;
  };
  if (runs('bare')) {
    const at = { port: bare.port, host: 'localhost', cpu: bare.cpu };
    keep(await measure('bare Koa: answer only', { ...at, path: '/answer' }));
    keep(await measure('bare Koa: jose RS256 verify only', { ...at, path: '/verify', headers: { 'x-auth-token': token } }));
  }
  if (runs('validate')) keep(await measure('GET /users/access_token/validate', validate));
  if (runs('login')) keep(await measure('GET /users/access_token (Argon2id login)', [accessToken, loginOn('bench-two')]));
  if (rows.length > 0) {
    table(rows);
    const v = byRoute['GET /users/access_token/validate'];
    const verify = byRoute['bare Koa: jose RS256 verify only'];
    const answer = byRoute['bare Koa: answer only'];
    if (v && verify && answer) {
      const ratios = { validateOverBareVerify: v.reqPerSec / verify.reqPerSec, validateOverBareAnswer: v.reqPerSec / answer.reqPerSec };
      say(`\nvalidate / bare verify = ${ratios.validateOverBareVerify.toFixed(2)}  (must be >= 1.0)`);
      say(`validate / bare answer = ${ratios.validateOverBareAnswer.toFixed(2)}  (goal >= 0.8)`);
      results.ratios = ratios;
    }
    results.routes = rows;
  }

  if (runs('alongside')) {
    say(`\nValidation while logins run alongside (${CONNECTIONS} validate connections + 4 login connections):`);
    const alone = byRoute['GET /users/access_token/validate'] ?? (await measure('GET /users/access_token/validate', validate));
    const [withLogins, logins] = await measureTogether([
      { route: 'validate, logins alongside', target: validate, connections: CONNECTIONS },
      { route: 'logins alongside', target: accessToken, connections: 4 },
    ]);
    table([{ ...alone, route: 'validate alone' }, withLogins!, logins!]);
    results.alongside = { alone, withLogins, logins };
  }

  const dataBench = path.join(HERE, 'data.ts');
  if (runs('data') && existsSync(dataBench)) {
    say('\nData API (bench/data.ts):');
    const { benchData } = (await import(dataBench)) as { benchData: () => Promise<Record<string, unknown>> };
    const d = await benchData();
    const f = (key: string) => String(d[key] ?? '?');
    say(`  ${f('via')}`);
    say(`  written: ${f('records')} records in batches of ${f('batchSize')}: ${f('recordsPerSecond')} records/s ` +
      `(batch p50 ${f('batchP50Ms')} ms, p99 ${f('batchP99Ms')} ms)`);
    say(`  read ${f('readTake')} records at the end (skip ${f('readSkip')}): p50 ${f('readP50Ms')} ms, p99 ${f('readP99Ms')} ms`);
    results.data = d;
  }

  for (const child of children.splice(0)) await child.stop();

  if (runs('hardening')) {
    say('\nPasswords and sign-ups (bench/hardening.ts):');
    const { benchHardening } = await import('./hardening.js');
    results.hardening = await benchHardening({ startServer, hatDomain: HAT_DOMAIN, say });
  }

  if (runs('metrics')) {
    say('\nValidation with /metrics on vs off (bench/metrics.ts):');
    const { benchMetrics } = await import('./metrics.js');
    results.metrics = await benchMetrics(say);
  }

  if (runs('rss')) {
    const fresh = await startServer('rss');
    children.push(fresh);
    const before = await fresh.rss();
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: RSS_CONCURRENCY }, async () => {
        while (next < RSS_HATS) await signup(fresh, `rss${String(next++).padStart(4, '0')}`);
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    const after = await fresh.rss();
    const mib = (n: number) => Math.round(n / 2 ** 20);
    const hash = 'default Argon2id cost';
    say(`\nRSS of a fresh server: ${mib(before)} MiB; after ${RSS_HATS} HATs created through POST /api/signup ` +
      `(${RSS_CONCURRENCY} at a time, ${hash}, ${seconds.toFixed(0)} s): ${mib(after)} MiB`);
    results.rss = { beforeMiB: mib(before), afterMiB: mib(after), hats: RSS_HATS, concurrency: RSS_CONCURRENCY, signupSeconds: seconds, passwordHash: hash };
  }

  if (runs('oauth')) {
    const { benchOauth } = await import('./oauth.js');
    results.oauth = await benchOauth(say);
  }

  const total = (Date.now() - started) / 1000;
  results.totalSeconds = Math.round(total);
  say(`\nDone in ${total.toFixed(0)} s.`);
  if (only.size === 0) {
    writeFileSync(path.join(HERE, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    say('Figures written to bench/results.json');
  }
} finally {
  for (const child of children) await child.stop();
  rmSync(work, { recursive: true, force: true });
}
