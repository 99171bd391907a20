import type { Next } from 'koa';
import type { Logger } from '../log.js';
import type { AppContext } from './context.js';

/**
 * One structured line per request. It names the path but never the query string, headers or
 * body: those carry passwords and tokens (`?username=&pass=`, `X-Auth-Token`, `?token=`).
 */
export function requestLog(log: Logger, answered?: (ctx: AppContext, ms: number) => void) {
  // The line's fields are fixed and none can hold a secret, so the logger's redaction (which
  // clones and walks every logged object for its wildcard paths) is left out for this line only.
  const requests = log.child({}, { redact: [] });
  return async function logRequest(ctx: AppContext, next: Next): Promise<void> {
    const start = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - start;
      // The metrics (http/metrics.ts) time the same span: one middleware layer, one clock read.
      answered?.(ctx, ms);
      if (requests.isLevelEnabled('info')) {
        requests.info({
          method: ctx.method,
          host: ctx.host,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(ms * 1000) / 1000,
          ip: ctx.ip,
        });
      }
    }
  };
}
