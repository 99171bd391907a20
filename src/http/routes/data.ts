import { InvalidInput } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { MAX_BODY_BYTES, renderRecord, renderRecords, type RecordView, type Written } from '../../services/data.js';
import { authenticate } from '../authenticate.js';
import { readJson } from '../body.js';
import { MethodNotAllowed } from '../errors.js';
import { type AppContext, type AppRouter, principalOf } from '../context.js';

const BASE = '/api/v2.6/data';

function param(ctx: AppContext, name: string): string {
  return String((ctx.params as Record<string, unknown>)[name] ?? '');
}

/** `?records=a,b` and `?records=a&records=b` (the original's form) alike. */
function recordIds(ctx: AppContext): string[] {
  const raw = ctx.query.records;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.flatMap((v) => v.split(','));
}

function sendRecords(ctx: AppContext, status: number, records: readonly RecordView[]): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = renderRecords(records);
}

/** One object when one was sent, as the original HAT answered; otherwise an array. */
function sendWritten(ctx: AppContext, written: Written): void {
  ctx.status = 201;
  ctx.type = 'application/json';
  ctx.body = written.single && written.records.length === 1 ? renderRecord(written.records[0]!) : renderRecords(written.records);
}

/** The data API on a HAT (SPEC 8): routes only translate HTTP; DataService decides. */
export function dataRoutes(router: AppRouter, services: Services): void {
  const auth = authenticate(services);
  const data = services.data;

  router.get(`${BASE}/sources`, auth, async (ctx) => {
    ctx.body = await data.sources(principalOf(ctx));
  });

  router.delete(BASE, auth, async (ctx) => {
    ctx.body = await data.remove(principalOf(ctx), recordIds(ctx));
  });
  const body = (ctx: AppContext) => () => readJson(ctx, { limit: MAX_BODY_BYTES, keys: 'opaque' });
  router.put(BASE, auth, async (ctx) => {
    sendWritten(ctx, await data.update(principalOf(ctx), body(ctx)));
  });
  router.post('/api/v2.6/data-batch', auth, async (ctx) => {
    sendRecords(ctx, 201, await data.writeBatch(principalOf(ctx), body(ctx)));
  });
  router.get('/api/v2.6/data-record/:id', auth, async (ctx) => {
    ctx.type = 'application/json';
    ctx.body = renderRecord(await data.record(principalOf(ctx), param(ctx, 'id')));
  });

  const table = `${BASE}/:namespace/*endpoint`;
  router.get(table, auth, async (ctx) => {
    const records = await data.read(principalOf(ctx), param(ctx, 'namespace'), param(ctx, 'endpoint'), ctx.query);
    sendRecords(ctx, 200, records);
  });
  router.post(table, auth, async (ctx) => {
    sendWritten(ctx, await data.write(principalOf(ctx), param(ctx, 'namespace'), param(ctx, 'endpoint'), body(ctx)));
  });
  router.delete(table, auth, async (ctx) => {
    ctx.body = await data.clear(principalOf(ctx), param(ctx, 'namespace'), param(ctx, 'endpoint'));
  });

  // A namespace without an endpoint is a malformed table name, not a missing page.
  router.all(`${BASE}/:namespace`, async (ctx) => {
    if (param(ctx, 'namespace') === 'sources') throw new MethodNotAllowed('Only GET is allowed on the list of sources');
    throw new InvalidInput(`The path needs an endpoint: ${BASE}/<namespace>/<endpoint>`, { field: 'endpoint' });
  });
}
