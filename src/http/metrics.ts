import type { Next } from 'koa';
import type { HttpMetrics } from '../metrics.js';
import type { AppContext } from './context.js';

/**
 * Counts and times every request by its route's template (`/api/v2.6/data/:namespace/:endpoint`),
 * never by its path, which can hold names and tokens. A request no route matched is `unmatched`.
 */
export function requestMetrics(metrics: HttpMetrics) {
  return async function measure(ctx: AppContext, next: Next): Promise<void> {
    const start = performance.now();
    try {
      await next();
    } finally {
      metrics.request(ctx.method, routeOf(ctx), ctx.status, (performance.now() - start) / 1000);
    }
  };
}

function routeOf(ctx: AppContext): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return ctx.path.startsWith('/static/') ? '/static/*' : 'unmatched';
}
