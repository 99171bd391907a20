import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { admin } from '../support/apps.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** GET /metrics (SPEC 9): Prometheus text, behind the admin bearer, with no label naming anyone. */
describe('GET /metrics (SPEC 9)', () => {
  let server: TestServer;
  let owner: string;
  let families: Map<string, PromFamily>;
  /** Every sample line with its labels: parse-prometheus-text-format folds a labelled histogram into one sample. */
  let lines: Array<{ name: string; labels: Record<string, string>; value: number }>;

  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('metered')).token;
    await admin(server, 'POST', '/api/admin/hats/metered/keys/rotate');
    const validate = (token: string) => server.call('metered', '/users/access_token/validate', { headers: { 'X-Auth-Token': token } });
    await validate(owner);
    await validate(owner);
    await validate(owner.slice(0, -4) + 'AAAA');
    await validate('not-a-token');
    await server.call('metered', '/users/access_token/validate');
    for (let i = 0; i < 11; i++) {
      await server.call('metered', '/users/access_token', { headers: { username: 'metered', password: 'wrong password' } });
    }
    await server.call('metered', '/api/v2.6/data/notes/main', { method: 'POST', headers: { 'x-auth-token': owner }, body: { a: 1 } });
    await server.call('metered', '/no/such/path/metered');
    const reply = await admin(server, 'GET', '/metrics');
    assert.equal(reply.status, 200, reply.text);
    assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    families = new Map(parsePrometheusTextFormat(reply.text).map((f) => [f.name, f]));
    lines = reply.text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
        assert.ok(m, `a sample line: ${l}`);
        const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [p[1]!, p[2]!]));
        return { name: m[1]!, labels, value: Number(m[3]) };
      });
  });
  after(() => server.stop());

  const samples = (name: string) => {
    const family = families.get(name);
    assert.ok(family, `${name} is exposed`);
    return family.metrics;
  };
  const valueOf = (name: string, labels: Record<string, string>) =>
    Number(samples(name).find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);

  it('needs the admin bearer, and lives on the cluster host only', async () => {
    assert.equal((await server.call(null, '/metrics')).status, 401);
    assert.equal((await server.call(null, '/metrics', { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await server.call('metered', '/metrics', { headers: { authorization: `Bearer ${server.config.adminToken}` } })).status, 404);
  });

  it('counts and times requests by route template and status', () => {
    assert.equal(families.get('http_request_duration_seconds')?.type, 'HISTOGRAM');
    const counts = lines.filter((l) => l.name === 'http_request_duration_seconds_count');
    const count = (route: string, status: string) => counts.find((l) => l.labels.route === route && l.labels.status === status)?.value;
    assert.equal(count('/users/access_token/validate', '200'), 2);
    assert.equal(count('/users/access_token/validate', '401'), 3);
    assert.equal(count('/api/v2.6/data/:namespace/*endpoint', '201'), 1);
    assert.equal(count('unmatched', '404'), 1);
    assert.equal(count('/api/signup', '201'), 1);
    const buckets = lines.filter((l) => l.name === 'http_request_duration_seconds_bucket' && l.labels.route === '/users/access_token/validate' && l.labels.status === '200');
    assert.equal(buckets.find((l) => l.labels.le === '+Inf')?.value, 2);
  });

  it('counts logins and failures by channel, throttled attempts, tokens issued by kind and refused by cause', () => {
    assert.ok(valueOf('hat_logins_total', { channel: 'api', outcome: 'success' }) >= 1);
    assert.equal(valueOf('hat_logins_total', { channel: 'api', outcome: 'failure' }), 10);
    assert.equal(valueOf('hat_logins_total', { channel: 'api', outcome: 'throttled' }), 1);
    assert.equal(valueOf('hat_throttled_requests_total', { route: '/users/access_token' }), 1);
    assert.ok(valueOf('hat_tokens_issued_total', { kind: 'owner' }) >= 1);
    assert.equal(valueOf('hat_tokens_refused_total', { cause: 'signature' }), 1);
    assert.equal(valueOf('hat_tokens_refused_total', { cause: 'malformed' }), 1);
    assert.equal(valueOf('hat_tokens_refused_total', { cause: 'missing' }), 1);
  });

  it('exposes store errors, 503s, cache sizes and event-loop lag', () => {
    assert.equal(valueOf('hat_store_errors_total', { kind: 'unavailable' }), 0);
    assert.equal(valueOf('hat_store_errors_total', { kind: 'other' }), 0);
    assert.equal(samples('hat_unavailable_responses_total')[0]?.value, '0');
    assert.ok(valueOf('hat_cache_entries', { cache: 'hats' }) >= 1);
    assert.ok(valueOf('hat_cache_entries', { cache: 'keys' }) >= 1);
    assert.ok(valueOf('hat_cache_entries', { cache: 'tokens' }) >= 1);
    assert.ok(families.has('nodejs_eventloop_lag_seconds'));
    assert.ok(families.has('nodejs_eventloop_lag_p99_seconds'));
  });

  it('no label holds a HAT name, a token or an address', () => {
    const forbidden = ['metered', owner, owner.split('.')[2]!, '127.0.0.1', server.clusterHost];
    assert.ok(lines.length > 100);
    for (const { name, labels } of lines) {
      for (const [label, value] of Object.entries(labels)) {
        for (const bad of forbidden) assert.ok(!value.includes(bad), `${name}{${label}="${value}"} holds ${bad.slice(0, 20)}`);
      }
    }
  });
});

describe('METRICS=false', () => {
  it('serves no /metrics', async () => {
    const server = await startTestServer({ METRICS: 'false' });
    try {
      assert.equal((await admin(server, 'GET', '/metrics')).status, 404);
      await server.createHat('quiet');
      assert.equal((await server.call('quiet', '/users/access_token', { headers: { username: 'quiet', password: encodeURIComponent(STRONG_PASSWORD) } })).status, 200);
    } finally {
      await server.stop();
    }
  });
});
