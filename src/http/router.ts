import Router from '@koa/router';
import type { AppRouter } from './context.js';
import { Lru } from '../lru.js';

const MAX_REMEMBERED = 1000;

/**
 * A router that remembers which of its routes match a method and path. `@koa/router` tests every
 * route's pattern against every request's path; a HAT host has dozens of routes, and that was a
 * good part of the cost of a token validation. Which routes match never changes while the
 * routes stay the same, so the answer is kept for the most recent paths (bounded) and dropped
 * whenever a route is added.
 */
export function matchCachingRouter(): AppRouter {
  const router: AppRouter = new Router();
  const remembered = new Lru<string, ReturnType<AppRouter['match']>>(MAX_REMEMBERED);
  const match = router.match.bind(router);
  const register = router.register.bind(router);
  router.match = (path, method) => {
    const key = `${method} ${path}`;
    let found = remembered.get(key);
    if (!found) {
      found = match(path, method);
      remembered.set(key, found);
    }
    // The router appends to `path` when a second router runs in the same request: give each
    // request its own array.
    return { path: [...found.path], pathAndMethod: found.pathAndMethod, route: found.route };
  };
  router.register = (...args) => {
    remembered.clear();
    return register(...args);
  };
  return router;
}
