/**
 * Issue 11's figures (`npm run bench`, phase `hardening`): what passwords cost and what a hostile
 * sign-up can do to everyone else.
 *
 * - the old and the new password hash side by side: scrypt (N=2^15, r=8, p=1, the earlier
 *   default) and Argon2id (m=19 MiB, t=2, p=1), one at a time, in this process;
 * - password logins per second with token validation running alongside on the same server, and
 *   validation's latency meanwhile (aim: >= 30 logins/s, validation p99 < 10 ms);
 * - the stall a worst-case sign-up (a 1,024-digit password, three at once, as the red team sent)
 *   causes to another HAT's /healthz (aim: < 50 ms), against the same probe with no sign-up;
 * - an owner's login while thirty sign-ups arrive at once.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hash as argon2Hash } from '@node-rs/argon2';
import { ARGON2, scryptHash } from '../src/services/passwords.js';
import { request } from '../test/support/http.js';
import type { Child } from './children.js';
import { measureTogether, type Measure, type Target } from './load.js';

const PASSWORD = 'correct horse battery staple';
const WORST_CASE = Array.from({ length: 1024 }, (_, i) => String((i * 7) % 10)).join('');

export interface HardeningBench {
  startServer(name: string, extra: Record<string, string>): Promise<Child>;
  hatDomain: string;
  say(line?: string): void;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function timeEach(times: number, work: () => Promise<unknown>): Promise<{ meanMs: number; p50Ms: number }> {
  await work(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await work();
    ms.push(performance.now() - t);
  }
  return { meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length), p50Ms: round(percentile(ms, 50)) };
}

/** Probes `path` one request after another until `until` settles; returns each latency in ms. */
async function probe(server: Child, host: string, path: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const t = performance.now();
    await request(server.port, host, path);
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  return latencies;
}

export async function benchHardening(b: HardeningBench): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = { loadAverageAtStart: loadavg().map((n) => round(n, 2)) };
  b.say(`  (load average at start: ${loadavg().map((n) => n.toFixed(2)).join(', ')} — other processes share these cores)`);

  const scrypt = await timeEach(10, () => scryptHash(PASSWORD, { log2N: 15, r: 8, p: 1 }));
  const argon2 = await timeEach(10, () => argon2Hash(PASSWORD, ARGON2));
  results.hashCost = { scrypt: { ...scrypt, cost: 'N=2^15, r=8, p=1 (32 MiB)' }, argon2id: { ...argon2, cost: 'm=19456 KiB, t=2, p=1' } };
  b.say(`  one password hash: scrypt (old) ${scrypt.meanMs} ms, Argon2id (new) ${argon2.meanMs} ms (mean of 10, one at a time)`);

  const server = await b.startServer('hardening', { SIGNUP_PER_CLIENT_HOUR: '100000', SIGNUP_PER_MINUTE: '100000' });
  try {
    const cluster = `${b.hatDomain}:${server.port}`;
    const signup = (name: string, pass = PASSWORD) =>
      request(server.port, cluster, '/api/signup', {
        method: 'POST',
        body: { username: name, email: `${name}@example.com`, pass, passRepeat: pass },
      });
    for (const name of ['pw-one', 'pw-two']) {
      const reply = await signup(name);
      if (reply.status !== 201) throw new Error(`signup of ${name}: ${reply.status} ${reply.text}`);
    }
    const hatHost = (name: string) => `${name}.${b.hatDomain}:${server.port}`;
    const token = (
      await request(server.port, hatHost('pw-one'), '/users/access_token', {
        headers: { username: 'pw-one', password: encodeURIComponent(PASSWORD) },
      })
    ).json<{ accessToken: string }>().accessToken;

    // Logins with validation alongside.
    const validate: Target = { port: server.port, host: hatHost('pw-one'), path: '/users/access_token/validate', headers: { 'x-auth-token': token } };
    const login = (name: string): Target => ({
      port: server.port,
      host: hatHost(name),
      path: '/users/access_token',
      headers: { username: name, password: encodeURIComponent(PASSWORD) },
    });
    const [validation, loginsOne, loginsTwo] = (await measureTogether([
      { route: 'validate, logins alongside', target: validate, connections: 16 },
      { route: 'logins (pw-one)', target: login('pw-one'), connections: 2 },
      { route: 'logins (pw-two)', target: login('pw-two'), connections: 2 },
    ])) as [Measure, Measure, Measure];
    const loginsPerSecond = loginsOne.reqPerSec + loginsTwo.reqPerSec;
    results.loginsAlongside = {
      loginsPerSecond,
      loginP50Ms: round(Math.max(loginsOne.p50, loginsTwo.p50)),
      loginP99Ms: round(Math.max(loginsOne.p99, loginsTwo.p99)),
      validationPerSecond: validation.reqPerSec,
      validationP50Ms: round(validation.p50, 2),
      validationP99Ms: round(validation.p99, 2),
      errors: validation.errors + loginsOne.errors + loginsTwo.errors,
      non2xx: validation.non2xx + loginsOne.non2xx + loginsTwo.non2xx,
    };
    b.say(
      `  Argon2id logins with validation alongside: ${loginsPerSecond} logins/s (p99 ${round(Math.max(loginsOne.p99, loginsTwo.p99))} ms); ` +
        `validation ${validation.reqPerSec} req/s, p50 ${round(validation.p50, 2)} ms, p99 ${round(validation.p99, 2)} ms`,
    );

    // The stall of a worst-case sign-up on another HAT's /healthz.
    const quiet = await probe(server, hatHost('pw-two'), '/healthz', new Promise((r) => setTimeout(r, 2000)));
    const hostile = Promise.all([0, 1, 2].map((i) => signup(`worst${i}`, WORST_CASE)));
    const t0 = performance.now();
    const during = await probe(server, hatHost('pw-two'), '/healthz', hostile);
    const hostileMs = performance.now() - t0;
    const statuses = (await hostile).map((r) => r.status);
    results.worstCaseSignup = {
      passwordDigits: WORST_CASE.length,
      concurrent: 3,
      signupAnswers: statuses,
      signupMs: Math.round(hostileMs),
      healthzDuring: { probes: during.length, p50Ms: round(percentile(during, 50), 2), p99Ms: round(percentile(during, 99), 2), maxMs: round(Math.max(...during), 2) },
      healthzQuiet: { probes: quiet.length, p50Ms: round(percentile(quiet, 50), 2), maxMs: round(Math.max(...quiet), 2) },
    };
    b.say(
      `  3 sign-ups with a 1,024-digit password (answered ${statuses.join(', ')} in ${Math.round(hostileMs)} ms): ` +
        `another HAT's /healthz max ${round(Math.max(...during), 1)} ms, p99 ${round(percentile(during, 99), 1)} ms over ${during.length} probes ` +
        `(quiet: max ${round(Math.max(...quiet), 1)} ms)`,
    );

    // An owner's login while thirty sign-ups arrive at once.
    const burst = Array.from({ length: 30 }, (_, i) => signup(`burst${i}`));
    await new Promise((r) => setTimeout(r, 50));
    const tl = performance.now();
    const owner = await request(server.port, hatHost('pw-one'), '/users/access_token', {
      headers: { username: 'pw-one', password: encodeURIComponent(PASSWORD) },
    });
    const ownerMs = performance.now() - tl;
    const burstStatuses = (await Promise.all(burst)).map((r) => r.status);
    const count = (s: number) => burstStatuses.filter((x) => x === s).length;
    results.loginDuringSignups = { signups: 30, created: count(201), refusedBusy: count(429), ownerLoginStatus: owner.status, ownerLoginMs: Math.round(ownerMs) };
    b.say(
      `  an owner's login while 30 sign-ups arrive at once: ${Math.round(ownerMs)} ms (status ${owner.status}); ` +
        `sign-ups: ${count(201)} created, ${count(429)} told to retry (429)`,
    );
  } finally {
    await server.stop();
  }
  return results;
}
