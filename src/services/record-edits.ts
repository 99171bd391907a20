import { InvalidInput, NotAllowed, NotFound, Titles } from '../errors.js';
import type { DataRecord } from '../store/ports.js';
import type { Principal } from './authentication.js';
import { canWrite } from './permissions.js';

/*
 * The rules shared by the data API's operations on records named by id (SPEC 8): `PUT /data`,
 * `DELETE /data?records=`, `GET /data-record/<id>`, and the shape of `POST /data-batch`. Each is
 * all or nothing: every id must exist on this HAT, and the caller must be allowed every record,
 * before anything changes.
 */

export const RECORD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One element of a `PUT /data` body. */
export interface RecordUpdate {
  recordId: string;
  /** `<namespace>/<endpoint>` as the caller gave it, when it did. */
  endpoint?: string;
  data: unknown;
}

/** One element of a `POST /data-batch` body. */
export interface BatchEntry {
  endpoint: string;
  data: unknown;
}

export function namespaceOf(endpoint: string): string {
  const slash = endpoint.indexOf('/');
  return slash < 0 ? endpoint : endpoint.slice(0, slash);
}

/** A record id as the API takes it (case-insensitive), or a 400 naming `field`. */
export function recordId(raw: unknown, field: string): string {
  const id = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!RECORD_ID_PATTERN.test(id)) {
    const shown = typeof raw === 'string' ? `"${raw.slice(0, 40)}"` : raw === undefined ? 'missing' : JSON.stringify(raw)?.slice(0, 40);
    throw new InvalidInput(`${field} must be a record id (a UUID); got ${shown}`, { field });
  }
  return id;
}

function elements(body: unknown, max: number, what: string): { list: unknown[]; single: boolean } {
  const single = !Array.isArray(body);
  const list = single ? [body] : (body as unknown[]);
  if (list.length > max) throw new InvalidInput(`At most ${max} ${what} at once; got ${list.length}`, { field: 'body' });
  list.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidInput(`${single ? 'The body' : `body[${i}]`} must be an object, as {"endpoint", ${what === 'records' ? '"recordId", ' : ''}"data"}`, {
        field: single ? 'body' : `body[${i}]`,
      });
    }
  });
  return { list, single };
}

function endpointAt(item: Record<string, unknown>, field: string): string {
  if (typeof item.endpoint !== 'string' || !item.endpoint.includes('/')) {
    throw new InvalidInput(`${field} must be "<namespace>/<endpoint>"`, { field });
  }
  return item.endpoint;
}

/** `PUT /data`: an array of `{endpoint?, recordId, data}` (a single object is taken as one). */
export function parseUpdates(body: unknown, max: number): { updates: RecordUpdate[]; single: boolean } {
  const { list, single } = elements(body, max, 'records');
  const seen = new Set<string>();
  const updates = list.map((raw, i) => {
    const item = raw as Record<string, unknown>;
    const where = single ? '' : `body[${i}].`;
    const id = recordId(item.recordId, `${where}recordId`);
    if (seen.has(id)) throw new InvalidInput(`The record ${id} is given twice; nothing was changed`, { field: `${where}recordId` });
    seen.add(id);
    if (!('data' in item)) throw new InvalidInput(`${where}data is required: the record's new data`, { field: `${where}data` });
    const update: RecordUpdate = { recordId: id, data: item.data };
    if (item.endpoint !== undefined) update.endpoint = endpointAt(item, `${where}endpoint`);
    return update;
  });
  return { updates, single };
}

/** `POST /data-batch`: an array of `{endpoint, data}` across endpoints. */
export function parseBatch(body: unknown, max: number): BatchEntry[] {
  if (!Array.isArray(body)) throw new InvalidInput('The body must be an array of {"endpoint", "data"}', { field: 'body' });
  return elements(body, max, 'entries').list.map((raw, i) => {
    const item = raw as Record<string, unknown>;
    if (!('data' in item)) throw new InvalidInput(`body[${i}].data is required`, { field: `body[${i}].data` });
    return { endpoint: endpointAt(item, `body[${i}].endpoint`), data: item.data };
  });
}

/** 404 naming the ids that are not records of this HAT (another HAT's are not found either). */
export function requireAllFound(ids: readonly string[], found: readonly DataRecord[], consequence: string): void {
  if (found.length >= ids.length) return;
  const known = new Set(found.map((r) => r.recordId));
  const missing = ids.filter((id) => !known.has(id));
  const more = missing.length > 5 ? ` (and ${missing.length - 5} more)` : '';
  throw new NotFound(`No record ${missing.slice(0, 5).join(', ')}${more} on this HAT; ${consequence}`, { title: Titles.dataMissing });
}

/** 403 naming the namespaces among `namespaces` the caller may not write. */
export function requireWriteAll(who: Principal, namespaces: Iterable<string>, consequence: string): void {
  const forbidden = [...new Set(namespaces)].filter((ns) => !canWrite(who, ns));
  if (forbidden.length === 0) return;
  if (who.scope === 'validate') throw new NotAllowed('A validate token only proves who owns this HAT; it gives no access to data');
  throw new NotAllowed(`This application may not modify records in the namespace(s) ${forbidden.map((n) => `"${n}"`).join(', ')}; ${consequence}`);
}
