import autocannon from 'autocannon';

export interface Target {
  port: number;
  /** The Host header: the HAT or the cluster the request is for. */
  host: string;
  path: string;
  headers?: Record<string, string>;
  /** The serving process's CPU time so far (µs), to count what each request costs it. */
  cpu?: () => Promise<number>;
}

export interface Measure {
  route: string;
  connections: number;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  /** CPU time the serving process spent per answered request, in µs (for it alone at a time). */
  cpuMicrosPerRequest: number;
  /** Answers that were not 2xx, and connection errors or timeouts: both should be 0. */
  non2xx: number;
  errors: number;
}

export const CONNECTIONS = 16;
export const WARM_UP_SECONDS = 2;
export const MEASURE_SECONDS = 8;

interface Fired {
  result: autocannon.Result;
  /** Every response time in ms: autocannon's own histogram keeps whole milliseconds only. */
  latencies: Float64Array;
}

async function fire(target: Target, connections: number, seconds: number): Promise<Fired> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let done!: (r: autocannon.Result) => void;
  let failed!: (err: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => ((done = resolve), (failed = reject)));
  const options: autocannon.Options = {
    url: `http://127.0.0.1:${target.port}${target.path}`,
    headers: { host: target.host, ...(target.headers ?? {}) },
    connections,
    duration: seconds,
    // Logins queue behind scrypt: give them time rather than counting them as errors.
    timeout: 30,
  };
  const instance = autocannon(options, (err, result) => (err ? failed(err) : done(result)));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode < 200 || statusCode > 299) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
  });
  const result = await finished;
  return { result, latencies: latencies.subarray(0, count).sort() };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(route: string, connections: number, seconds: number, fired: Fired[], cpuMicros = NaN): Measure {
  const requests = fired.reduce((n, f) => n + f.result.requests.total, 0);
  const latencies = fired.length === 1 ? fired[0]!.latencies : merged(fired.map((f) => f.latencies));
  return {
    route,
    connections,
    seconds,
    reqPerSec: Math.round(requests / seconds),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests,
    cpuMicrosPerRequest: Math.round((10 * cpuMicros) / requests) / 10,
    non2xx: fired.reduce((n, f) => n + f.result.non2xx, 0),
    errors: fired.reduce((n, f) => n + f.result.errors + f.result.timeouts, 0),
  };
}

function merged(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all.sort();
}

/**
 * A warm-up that is thrown away, then a measured run at the same load. Given several targets
 * (the same server under several Host headers), the connections are shared out among them and
 * the figures are those of all requests together.
 */
export async function measure(
  route: string,
  target: Target | Target[],
  connections = CONNECTIONS,
  seconds = MEASURE_SECONDS,
): Promise<Measure> {
  const targets = Array.isArray(target) ? target : [target];
  const each = Math.max(1, Math.floor(connections / targets.length));
  await Promise.all(targets.map((t) => fire(t, each, WARM_UP_SECONDS)));
  const cpuBefore = (await targets[0]!.cpu?.()) ?? NaN;
  const fired = await Promise.all(targets.map((t) => fire(t, each, seconds)));
  const cpuAfter = (await targets[0]!.cpu?.()) ?? NaN;
  return summary(route, each * targets.length, seconds, fired, cpuAfter - cpuBefore);
}

/** Several loads at once (after a common warm-up), each measured over the same seconds. */
export async function measureTogether(
  runs: Array<{ route: string; target: Target; connections: number }>,
  seconds = MEASURE_SECONDS,
): Promise<Measure[]> {
  await Promise.all(runs.map((r) => fire(r.target, r.connections, WARM_UP_SECONDS)));
  const results = await Promise.all(runs.map((r) => fire(r.target, r.connections, seconds)));
  return runs.map((r, i) => summary(r.route, r.connections, seconds, [results[i]!]));
}
