import type { Next } from 'koa';
import type { Logger } from '../log.js';
import type { AppContext } from './context.js';

/**
 * One structured line per request. It names the path but never the query string, headers or
 * body: those carry passwords and tokens (`?username=&pass=`, `X-Auth-Token`, `?token=`).
 */
export function requestLog(log: Logger) {
  // The line's fields are fixed and none can hold a secret, so the logger's redaction (which
  // clones and walks every logged object for its wildcard paths) is left out for this line only.
  const requests = log.child({}, { redact: [] });
  return async function logRequest(ctx: AppContext, next: Next): Promise<void> {
    const start = performance.now();
    try {
      await next();
    } finally {
      if (requests.isLevelEnabled('info')) {
        requests.info({
          method: ctx.method,
          host: ctx.host,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round((performance.now() - start) * 1000) / 1000,
          ip: ctx.ip,
        });
      }
    }
  };
}
