import type { Services } from '../../services/index.js';
import type { AppRouter } from '../context.js';

/** A datastore that takes longer than this to answer a ping counts as not answering. */
const PING_TIMEOUT_MS = 2000;

/** Resolves when the datastore answers within the timeout; rejects when it fails or stays silent. */
async function pingWithin(ping: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([ping(), silent]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz on every host: 200 when the datastore answers, 503 when it does not. */
export function healthRoutes(router: AppRouter, services: Services): void {
  router.get('/healthz', async (ctx) => {
    try {
      await pingWithin(services.ping, PING_TIMEOUT_MS);
      ctx.body = { status: 'ok', store: services.storeKind };
    } catch {
      ctx.status = 503;
      ctx.body = { message: 'Service Unavailable', cause: 'The datastore is not answering' };
    }
  });
}
