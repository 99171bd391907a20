import getRawBody from 'raw-body';
import secureJson from 'secure-json-parse';
import { InvalidInput } from '../errors.js';
import type { AppContext } from './context.js';
import { PayloadTooLarge, UnsupportedMediaType } from './errors.js';

const DEFAULT_LIMIT = 64 * 1024;

async function readText(ctx: AppContext, limit: number): Promise<string> {
  try {
    return await getRawBody(ctx.req, { limit, encoding: 'utf8', length: ctx.get('Content-Length') || undefined });
  } catch (err) {
    // The rest of the body is still on the wire: keeping the connection alive would leave the
    // next request behind it (or leave the socket stuck on a paused stream), so close it after
    // the answer.
    ctx.set('Connection', 'close');
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw new PayloadTooLarge(`The body must be at most ${limit} bytes`);
    if (type === 'request.size.invalid') throw new InvalidInput('The body is shorter than its Content-Length');
    throw new InvalidInput('The body could not be read');
  }
}

export interface JsonOptions {
  limit?: number;
  /**
   * 'strict' (default) refuses `__proto__` and `constructor.prototype` keys outright.
   * 'opaque' is for record data, which is stored and returned as given: JSON.parse keeps such
   * keys as plain own properties, and nothing merges the data into another object.
   */
  keys?: 'strict' | 'opaque';
}

/** The request's JSON body: 415 unless it says JSON, 413 past the limit, 400 when it is not JSON. */
export async function readJson(ctx: AppContext, options: JsonOptions = {}): Promise<unknown> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!ctx.is('application/json')) {
    throw new UnsupportedMediaType('The body must be JSON, sent with Content-Type: application/json');
  }
  const text = await readText(ctx, limit);
  if (text.trim() === '') throw new InvalidInput('The body is empty; a JSON value was expected');
  try {
    return options.keys === 'opaque'
      ? (JSON.parse(text) as unknown)
      : (secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) as unknown);
  } catch (err) {
    if (err instanceof SyntaxError && /prototype/i.test(err.message)) {
      throw new InvalidInput('The body contains a forbidden key (__proto__ or constructor.prototype)');
    }
    throw new InvalidInput(`The body is not valid JSON: ${(err as Error).message}`);
  }
}

/** A browser form's fields (application/x-www-form-urlencoded); repeated names keep the first. */
export async function readForm(ctx: AppContext, limit = DEFAULT_LIMIT): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new UnsupportedMediaType('The form must be URL-encoded');
  const params = new URLSearchParams(await readText(ctx, limit));
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of params) if (!(name in fields)) fields[name] = value;
  return fields;
}
