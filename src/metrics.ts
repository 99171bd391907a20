import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * The server's metrics (SPEC 9, `GET /metrics`), as named calls that services make without knowing
 * prom-client or HTTP. Label values come from small fixed sets (a channel, a kind, a cause, a route
 * template): never a HAT name, a token or an address, so the number of series stays bounded and a
 * scrape reveals nobody. A value outside its set is counted as `other`.
 */
export type LoginOutcome = 'success' | 'failure' | 'throttled';

/** Why a token was refused (SPEC 4's list); `other` for anything not foreseen. */
export const REFUSAL_CAUSES = [
  'missing',
  'malformed',
  'algorithm',
  'unknown_key',
  'signature',
  'issuer',
  'expired',
  'not_yet_valid',
  'owner_disabled',
  'password_changed',
  'application_disabled',
  'approval_revoked',
  'revoked',
  'other',
] as const;
export type RefusalCause = (typeof REFUSAL_CAUSES)[number];

export interface Metrics {
  readonly enabled: boolean;
  /** A login on `channel` (`api`, `hatlogin`, `dashboard`, `oauth`, …) and how it ended. */
  login(channel: string, outcome: LoginOutcome): void;
  /** A token was issued: `owner`, `application`, `validate`, or an OAuth/OIDC kind (`access`, `id`, `refresh`). */
  tokenIssued(kind: string): void;
  tokenRefused(cause: RefusalCause): void;
  /** A store operation failed: `unavailable` (answered 503) or `other`. */
  storeError(kind: 'unavailable' | 'other'): void;
  /** A gauge of how many entries `cache` holds (`hats`, `keys`, `tokens`, `oidc_providers`, …), read at each scrape. */
  cacheSize(cache: string, size: () => number): void;
}

/** What only the HTTP layer records, and the scrape itself. */
export interface HttpMetrics {
  /** One answered request: `route` is the route's template (`/api/v2.6/data/:namespace/:endpoint`), never the path. */
  request(method: string, route: string, status: number, seconds: number): void;
  render(): Promise<{ contentType: string; body: string }>;
}

const NAME = /^[a-z][a-z0-9_]{0,31}$/;
const bounded = (value: string) => (NAME.test(value) ? value : 'other');
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

class PromMetrics implements Metrics, HttpMetrics {
  readonly enabled = true;
  private readonly registry = new Registry();
  private readonly logins = new Counter({
    name: 'hat_logins_total',
    help: 'Owner logins by channel and outcome (success, failure, throttled)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly issued = new Counter({
    name: 'hat_tokens_issued_total',
    help: 'Tokens issued, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly refused = new Counter({
    name: 'hat_tokens_refused_total',
    help: 'Tokens refused, by cause',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  private readonly throttledRequests = new Counter({
    name: 'hat_throttled_requests_total',
    help: 'Requests refused with 429 (login throttle, sign-up limits), by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly storeErrors = new Counter({
    name: 'hat_store_errors_total',
    help: 'Failed datastore operations: unavailable (answered 503) or other',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly unavailable = new Counter({
    name: 'hat_unavailable_responses_total',
    help: 'Requests answered 503 (datastore unavailable)',
    registers: [this.registry],
  });
  private readonly duration = new RequestHistogram(
    'http_request_duration_seconds',
    'Request latency by method, route template and status; its _count is the request count',
  );
  private readonly caches = new Map<string, () => number>();

  constructor() {
    this.registry.registerMetric(this.duration as never);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    // Series that exist from the start, at 0, so that rate() and alerts see them before the first event.
    for (const kind of ['unavailable', 'other'] as const) this.storeErrors.inc({ kind }, 0);
    for (const cause of REFUSAL_CAUSES) this.refused.inc({ cause }, 0);
    for (const kind of ['owner', 'application', 'validate']) this.issued.inc({ kind }, 0);
    for (const channel of ['api', 'hatlogin', 'dashboard']) {
      for (const outcome of ['success', 'failure', 'throttled'] as const) this.logins.inc({ channel, outcome }, 0);
    }
    const caches = this.caches;
    new Gauge({
      name: 'hat_cache_entries',
      help: 'Entries held by each in-process cache (HATs, keys, checked tokens, OIDC providers, …)',
      labelNames: ['cache'] as const,
      registers: [this.registry],
      collect() {
        for (const [cache, size] of caches) this.set({ cache }, size());
      },
    });
  }

  login(channel: string, outcome: LoginOutcome): void {
    this.logins.inc({ channel: bounded(channel), outcome });
  }

  tokenIssued(kind: string): void {
    this.issued.inc({ kind: bounded(kind) });
  }

  tokenRefused(cause: RefusalCause): void {
    this.refused.inc({ cause: (REFUSAL_CAUSES as readonly string[]).includes(cause) ? cause : 'other' });
  }

  storeError(kind: 'unavailable' | 'other'): void {
    this.storeErrors.inc({ kind: kind === 'unavailable' ? kind : 'other' });
  }

  cacheSize(cache: string, size: () => number): void {
    this.caches.set(bounded(cache), size);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.duration.observe(method, route, status, seconds);
    if (status === 429) this.throttledRequests.inc({ route });
    else if (status === 503) this.unavailable.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: { method: string; route: string; status: string };
  /** Per bucket, not cumulative; the last one is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * The request histogram, kept by hand: prom-client's own Histogram builds a key from the label
 * values on every observation, which cost more than the rest of the metrics of a token
 * validation. Here a series is found once per method, route and status and then only counted;
 * prom-client's registry reads it at scrape time (the metric interface its own types implement).
 */
class RequestHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = route + ' ' + method + ' ' + status;
    let s = this.series.get(key);
    if (!s) {
      // Routes and statuses are few; the bound only guards against a surprise.
      if (this.series.size >= 5000) return;
      s = { labels: { method: METHODS.has(method) ? method : 'other', route, status: String(status) }, counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= BUCKETS.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: i < BUCKETS.length ? BUCKETS[i]! : '+Inf', ...s.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** METRICS=false: every call does nothing, and there is no /metrics. */
const OFF: Metrics & HttpMetrics = {
  enabled: false,
  login() {},
  tokenIssued() {},
  tokenRefused() {},
  storeError() {},
  cacheSize() {},
  request() {},
  async render() {
    return { contentType: 'text/plain', body: '' };
  },
};

export function createMetrics(enabled: boolean): Metrics & HttpMetrics {
  return enabled ? new PromMetrics() : OFF;
}

/**
 * The refusal cause of a token check's answer, read from its `cause` text (the checks say exactly
 * what was wrong; this groups those sentences into SPEC 4's list).
 */
export function refusalCause(detail: string): RefusalCause {
  for (const [pattern, cause] of CAUSE_PATTERNS) if (pattern.test(detail)) return cause;
  return 'other';
}

const CAUSE_PATTERNS: Array<[RegExp, RefusalCause]> = [
  [/no token was supplied/i, 'missing'],
  [/algorithm/i, 'algorithm'],
  [/expired/i, 'expired'],
  [/not yet valid/i, 'not_yet_valid'],
  [/\(kid\)|not one of this HAT's keys/i, 'unknown_key'],
  [/another issuer|issued by another HAT/i, 'issuer'],
  [/signature/i, 'signature'],
  [/owner is disabled/i, 'owner_disabled'],
  [/password change/i, 'password_changed'],
  [/application is not enabled|names no application/i, 'application_disabled'],
  [/approval was revoked|names no service/i, 'approval_revoked'],
  [/revoked/i, 'revoked'],
  [/malformed|claim|access scope|subject/i, 'malformed'],
];
