import type { HttpMetrics } from '../metrics.js';
import type { AppContext } from './context.js';

/**
 * Counts and times every request by its route's template (`/api/v2.6/data/:namespace/*endpoint`),
 * never by its path, which can hold names and tokens. A request no route matched is `unmatched`.
 * Called by the request log's middleware when the answer is known (`requestLog(log, answered)`).
 */
export function requestMetrics(metrics: HttpMetrics): (ctx: AppContext, ms: number) => void {
  return (ctx, ms) => metrics.request(ctx.method, routeOf(ctx), ctx.status, ms / 1000);
}

function routeOf(ctx: AppContext): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return ctx.path.startsWith('/static/') ? '/static/*' : 'unmatched';
}
