import type { Services } from '../../services/index.js';
import { type AppContext, type AppRouter, hatOf } from '../context.js';

/** Public keys may be cached briefly: long enough to spare us, short enough for a rotation. */
const KEY_CACHE = 'public, max-age=300';

/** GET /publickey (PEM) and GET /.well-known/jwks.json on a HAT (SPEC 5). */
export function keyRoutes(router: AppRouter, services: Services): void {
  async function currentKeys(ctx: AppContext) {
    const hat = hatOf(ctx);
    const keys = await services.keys.publishedKeys(hat.name, hat.revision);
    ctx.set('Cache-Control', KEY_CACHE);
    ctx.vary('Host');
    return keys;
  }

  router.get('/publickey', async (ctx) => {
    const [current] = await currentKeys(ctx);
    if (!current) throw new Error(`HAT ${hatOf(ctx).name} has no key`);
    ctx.etag = current.kid;
    // Koa judges freshness only for a 2xx status, and the status is still the default 404 here.
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'text/plain';
    ctx.body = current.publicPem;
  });

  router.get('/.well-known/jwks.json', async (ctx) => {
    const keys = await currentKeys(ctx);
    ctx.etag = keys.map((k) => k.kid).join('.');
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = { keys: keys.map((k) => k.jwk) };
  });
}
