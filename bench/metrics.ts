/**
 * What `/metrics` costs (issue 13): token validation throughput of the real server with metrics
 * on (METRICS=true, the default: a latency histogram observation per request, counters, the
 * event-loop monitor) against the same server with METRICS=false, in the same run. Two server
 * children, identical but for that variable; measured alternately, ROUNDS times each, so that
 * drift of the machine (other work, thermal) falls on both. Aim: on / off >= 0.95.
 *
 * `npm run bench` imports `benchMetrics` (phase `metrics`); `tsx bench/metrics.ts` runs it alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../test/support/http.js';
import { startChild, type Child } from './children.js';
import { measure, type Measure, type Target } from './load.js';

const ROUNDS = 3;
const GOAL = 0.95;
const HAT_DOMAIN = 'hat.localhost';
const PASSWORD = 'correct horse battery staple';

export interface MetricsBenchResult {
  rounds: number;
  on: Measure[];
  off: Measure[];
  onReqPerSec: number;
  offReqPerSec: number;
  /** Throughput with metrics on over off. */
  ratio: number;
  cpuMicrosOn: number;
  cpuMicrosOff: number;
  goal: number;
  met: boolean;
}

async function serverWith(metrics: boolean, work: string): Promise<{ child: Child; target: Target }> {
  const child = await startChild('server-process.ts', {
    env: {
      NODE_ENV: 'production',
      SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
      KEY_ENCRYPTION_SECRET: 'bench-key-secret-0123456789abcdef',
      ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
      DATA_DIR: path.join(work, metrics ? 'on' : 'off'),
      PORT: '0',
      HAT_DOMAIN,
      LOG_LEVEL: 'info',
      METRICS: String(metrics),
    },
  });
  const cluster = `${HAT_DOMAIN}:${child.port}`;
  const signup = await request(child.port, cluster, '/api/signup', {
    method: 'POST',
    body: { username: 'metered', email: 'metered@example.com', pass: PASSWORD, passRepeat: PASSWORD },
  });
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${signup.text}`);
  const host = `metered.${cluster}`;
  const login = await request(child.port, host, '/users/access_token', { headers: { username: 'metered', password: encodeURIComponent(PASSWORD) } });
  const token = login.json<{ accessToken: string }>().accessToken;
  return { child, target: { port: child.port, host, path: '/users/access_token/validate', headers: { 'x-auth-token': token }, cpu: child.cpu } };
}

const mean = (ms: Measure[], f: (m: Measure) => number) => ms.reduce((s, m) => s + f(m), 0) / ms.length;

export async function benchMetrics(say: (line: string) => void = console.log): Promise<MetricsBenchResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'hat-bench-metrics-'));
  const children: Child[] = [];
  try {
    const on = await serverWith(true, work);
    children.push(on.child);
    const off = await serverWith(false, work);
    children.push(off.child);
    const result = { on: [] as Measure[], off: [] as Measure[] };
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so that neither always follows the other's warm caches.
      const order = round % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const which of order) {
        const m = await measure(`validate, metrics ${which} (round ${round})`, which === 'on' ? on.target : off.target);
        result[which].push(m);
        say(`  ${m.route.padEnd(36)} ${String(m.reqPerSec).padStart(7)} req/s  p99 ${m.p99.toFixed(2)} ms  CPU ${m.cpuMicrosPerRequest.toFixed(1)} µs/req  non-2xx ${m.non2xx}`);
      }
    }
    const onReqPerSec = Math.round(mean(result.on, (m) => m.reqPerSec));
    const offReqPerSec = Math.round(mean(result.off, (m) => m.reqPerSec));
    const ratio = onReqPerSec / offReqPerSec;
    const summary: MetricsBenchResult = {
      rounds: ROUNDS,
      ...result,
      onReqPerSec,
      offReqPerSec,
      ratio: Number(ratio.toFixed(3)),
      cpuMicrosOn: Number(mean(result.on, (m) => m.cpuMicrosPerRequest).toFixed(1)),
      cpuMicrosOff: Number(mean(result.off, (m) => m.cpuMicrosPerRequest).toFixed(1)),
      goal: GOAL,
      met: ratio >= GOAL,
    };
    say(`  metrics on / off = ${summary.ratio.toFixed(3)} (${onReqPerSec} vs ${offReqPerSec} req/s; CPU ${summary.cpuMicrosOn} vs ${summary.cpuMicrosOff} µs/req; aim >= ${GOAL})`);
    return summary;
  } finally {
    for (const child of children) await child.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log('Validation with /metrics on vs off (bench/metrics.ts):');
  await benchMetrics();
}
