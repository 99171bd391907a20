import { randomUUID } from 'node:crypto';
import { InvalidInput, NotAllowed, NotFound, Titles } from '../errors.js';
import type { DataRecord, ReadOptions, Store } from '../store/ports.js';
import type { Principal } from './authentication.js';
import { canRead, NAMESPACE_PATTERN, requireDataAccess, requireRead, requireWrite, type Permissions } from './permissions.js';
import { namespaceOf, parseBatch, parseUpdates, recordId, RECORD_ID_PATTERN, requireAllFound, requireWriteAll } from './record-edits.js';

/*
 * The data API (SPEC 8): a HAT's tables are `<namespace>/<endpoint>`, each holding records of
 * arbitrary JSON. Record data is opaque: it is stored as the JSON text it was sent as and returned
 * as that text, never merged into an object or handed to the database as a query, so keys such
 * as `$where`, `__proto__` or `a.b` are just keys. Who may do what is decided in permissions.ts.
 */

/** `[0-9a-z-/]+` (SPEC 8), and no empty segment: `a//b`, `/a` and `a/` are refused. */
export const ENDPOINT_PATTERN = /^[0-9a-z-]+(?:\/[0-9a-z-]+)*$/;
/** A dotted field path inside the data: `date`, `location.city`, `a_b-c.d`. */
export const ORDER_BY_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

export const MAX_RECORDS_PER_WRITE = 1000;
/** SPEC 8: data nested deeper than this is refused (400). */
export const MAX_DATA_DEPTH = 100;
export const MAX_TAKE = 1000;
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_NAMESPACE_LENGTH = 100;
const MAX_ENDPOINT_LENGTH = 200;
const MAX_ORDER_BY_LENGTH = 200;

/** A record as the API shows it; `json` is the data's JSON text, exactly as stored. */
export interface RecordView {
  endpoint: string;
  recordId: string;
  json: string;
}

/** `{"endpoint", "recordId", "data"}`, with the record's data spliced in as stored. */
export function renderRecord(r: RecordView): string {
  return `{"endpoint":${JSON.stringify(r.endpoint)},"recordId":${JSON.stringify(r.recordId)},"data":${r.json}}`;
}

/** `[{"endpoint", "recordId", "data"}]`, with each record's data spliced in as stored. */
export function renderRecords(records: readonly RecordView[]): string {
  return `[${records.map(renderRecord).join(',')}]`;
}

/** Records written, and whether the caller sent one object (answered as one object, as the original did). */
export interface Written {
  records: RecordView[];
  single: boolean;
}

const view = ({ endpoint, recordId, json }: RecordView): RecordView => ({ endpoint, recordId, json });

/** The query of a read, as it came (strings, or arrays when a parameter was repeated). */
export interface ReadQuery {
  orderBy?: unknown;
  ordering?: unknown;
  skip?: unknown;
  take?: unknown;
}

export interface Deleted {
  message: string;
  deleted: number;
}

/** `<namespace>/<endpoint>`, once both passed SPEC 8's patterns and lengths; 400 otherwise. */
export function table(namespace: string, endpoint: string): string {
  if (namespace.length > MAX_NAMESPACE_LENGTH || !NAMESPACE_PATTERN.test(namespace)) {
    throw new InvalidInput(
      `The namespace "${namespace.slice(0, MAX_NAMESPACE_LENGTH)}" must be 1 to ${MAX_NAMESPACE_LENGTH} lowercase letters, digits or hyphens`,
      { field: 'namespace' },
    );
  }
  if (endpoint.length > MAX_ENDPOINT_LENGTH || !ENDPOINT_PATTERN.test(endpoint)) {
    throw new InvalidInput(
      `The endpoint "${endpoint.slice(0, MAX_ENDPOINT_LENGTH)}" must be 1 to ${MAX_ENDPOINT_LENGTH} characters of lowercase letters, digits, hyphens and single slashes between them`,
      { field: 'endpoint' },
    );
  }
  return `${namespace}/${endpoint}`;
}

/** `<namespace>/<endpoint>` given in a body, checked as `table` checks a path; 400 names `field`. */
function tableOf(endpoint: string, field: string): string {
  const slash = endpoint.indexOf('/');
  try {
    return table(endpoint.slice(0, slash), endpoint.slice(slash + 1));
  } catch (err) {
    if (err instanceof InvalidInput) throw new InvalidInput(`${field}: ${err.detail}`, { field });
    throw err;
  }
}

function single(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidInput(`${name} must be given at most once`, { field: name });
  return value;
}

function integer(name: string, value: unknown, fallback: number): number {
  const raw = single(name, value);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw new InvalidInput(`${name} must be a whole number from 0, got "${raw.slice(0, 30)}"`, { field: name });
  return Number(raw);
}

/** Checks the query of a read; `take` above the maximum is clamped, anything malformed is 400. */
export function readOptions(query: ReadQuery): ReadOptions {
  const orderBy = single('orderBy', query.orderBy);
  if (orderBy !== undefined && orderBy !== '' && (orderBy.length > MAX_ORDER_BY_LENGTH || !ORDER_BY_PATTERN.test(orderBy))) {
    throw new InvalidInput('orderBy must be a field of the data: names of letters, digits, _ and -, joined by dots', { field: 'orderBy' });
  }
  const ordering = single('ordering', query.ordering) || 'ascending';
  if (ordering !== 'ascending' && ordering !== 'descending') {
    throw new InvalidInput(`ordering must be "ascending" or "descending", got "${ordering.slice(0, 30)}"`, { field: 'ordering' });
  }
  return {
    ...(orderBy ? { orderBy } : {}),
    ordering,
    skip: integer('skip', query.skip, 0),
    take: Math.min(integer('take', query.take, MAX_TAKE), MAX_TAKE),
  };
}

function recordsOf(body: unknown): Record<string, unknown>[] {
  const list = Array.isArray(body) ? body : [body];
  if (list.length > MAX_RECORDS_PER_WRITE) {
    throw new InvalidInput(`At most ${MAX_RECORDS_PER_WRITE} records can be written at once; got ${list.length}`, { field: 'body' });
  }
  list.forEach((data, i) => {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      const what = data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data;
      const where = Array.isArray(body) ? `Record ${i} of the batch` : 'The record';
      throw new InvalidInput(`${where} is ${what}; each record's data must be a JSON object. Nothing was stored`, { field: 'body' });
    }
    if (nestedDeeperThan(data, MAX_DATA_DEPTH)) {
      const where = Array.isArray(body) ? `Record ${i} of the batch` : 'The record';
      throw new InvalidInput(`${where} is nested deeper than ${MAX_DATA_DEPTH} levels. Nothing was stored`, { field: 'body' });
    }
    const inexact = inexactNumber(data);
    if (inexact !== undefined) {
      const where = Array.isArray(body) ? `Record ${i} of the batch` : 'The record';
      throw new InvalidInput(
        `${where} holds the number ${inexact}, which cannot be stored exactly (out of range, or an integer beyond 2^53); send it as a string. Nothing was stored`,
        { field: 'body' },
      );
    }
  });
  return list as Record<string, unknown>[];
}

/**
 * The first number in `value` that would not come back as sent: data is kept as JSON text, and
 * JSON.parse turns 1e400 into Infinity (stored as null) and rounds long integers beyond 2^53.
 * Refusing them keeps "nothing is lost" true. Integers from 1e21 up are written back in
 * exponent form (`1e+300`), which is how such values are normally sent, so they pass.
 */
function inexactNumber(root: unknown): number | undefined {
  // Iterative, like every walk over data: a deep value must never overflow the stack.
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'number') {
      const roundedInteger = Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21;
      if (!Number.isFinite(value) || roundedInteger) return value;
    } else if (typeof value === 'object' && value !== null) {
      const items = Array.isArray(value) ? value : Object.values(value);
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
    }
  }
  return undefined;
}

/**
 * True when `root` has objects or arrays nested more than `max` levels deep (`{}` is level 1).
 * Iterative: a value nested 20,000 deep is measured, not a stack overflow (SPEC 8).
 */
export function nestedDeeperThan(root: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const item of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: depth + 1 });
    }
  }
  return false;
}

/** Import and export of a HAT's data (SPEC 8). The HAT is always the principal's own. */
export class DataService {
  constructor(
    private readonly store: Store,
    private readonly permissions: Permissions,
    /** Told when an application used the API, for "last used" on the dashboard. */
    private readonly onApplicationUse: (hat: string, applicationId: string) => void = () => {},
  ) {}

  private used(principal: Principal): void {
    if (principal.scope === 'application' && principal.claims.application) {
      this.onApplicationUse(principal.hat, principal.claims.application);
    }
  }

  /**
   * Stores one record or a batch, all or nothing. The body is read only once the caller is known
   * to be allowed to write here, so a refused caller cannot make us read a large body.
   */
  async write(principal: Principal, namespace: string, endpoint: string, readBody: () => Promise<unknown>): Promise<Written> {
    const name = table(namespace, endpoint);
    const who = await this.permissions.resolve(principal);
    requireWrite(who, namespace);
    const body = await readBody();
    const list = recordsOf(body);
    const createdAt = new Date();
    const records: DataRecord[] = list.map((data) => ({ recordId: randomUUID(), endpoint: name, json: JSON.stringify(data), createdAt }));
    if (records.length > 0) await this.store.records.insert(who.hat, records);
    this.used(who);
    return { records: records.map(view), single: !Array.isArray(body) };
  }

  /**
   * `POST /data-batch`: records for several endpoints in one transaction. The caller needs write
   * on every namespace named (403 naming those it lacks); nothing is stored unless all is.
   */
  async writeBatch(principal: Principal, readBody: () => Promise<unknown>): Promise<RecordView[]> {
    const who = await this.permissions.resolve(principal);
    requireDataAccess(who);
    const entries = parseBatch(await readBody(), MAX_RECORDS_PER_WRITE);
    const names = entries.map((e, i) => tableOf(e.endpoint, `body[${i}].endpoint`));
    requireWriteAll(who, names.map(namespaceOf), 'nothing was stored');
    const list = recordsOf(entries.map((e) => e.data));
    const createdAt = new Date();
    const records: DataRecord[] = list.map((data, i) => ({ recordId: randomUUID(), endpoint: names[i]!, json: JSON.stringify(data), createdAt }));
    if (records.length > 0) await this.store.records.insert(who.hat, records);
    this.used(who);
    return records.map(view);
  }

  /**
   * `PUT /data`: replaces the data of records named by id, all or nothing. Every id must be a
   * record of this HAT (404 naming the others); an application needs write on each record's
   * namespace as stored and as given (403). A record keeps its id and endpoint.
   */
  async update(principal: Principal, readBody: () => Promise<unknown>): Promise<Written> {
    const who = await this.permissions.resolve(principal);
    requireDataAccess(who);
    const { updates, single } = parseUpdates(await readBody(), MAX_RECORDS_PER_WRITE);
    const given = updates.flatMap((u, i) => (u.endpoint === undefined ? [] : [tableOf(u.endpoint, single ? 'endpoint' : `body[${i}].endpoint`)]));
    const list = recordsOf(updates.map((u) => u.data));
    const ids = updates.map((u) => u.recordId);
    const found = await this.store.records.get(who.hat, ids);
    requireWriteAll(who, [...found.map((r) => r.endpoint), ...given].map(namespaceOf), 'nothing was changed');
    requireAllFound(ids, found, 'nothing was changed');
    const changes = updates.map((u, i) => ({ recordId: u.recordId, json: JSON.stringify(list[i]) }));
    // A record removed since it was read makes the whole update fail in the store: still a 404.
    if (!(await this.store.records.update(who.hat, changes))) requireAllFound(ids, [], 'nothing was changed');
    this.used(who);
    const endpoints = new Map(found.map((r) => [r.recordId, r.endpoint]));
    return { records: changes.map((c) => ({ endpoint: endpoints.get(c.recordId)!, recordId: c.recordId, json: c.json })), single };
  }

  /** `GET /data-record/<id>`: one record of this HAT, for a caller that may read its namespace. */
  async record(principal: Principal, id: string): Promise<RecordView> {
    const wanted = recordId(id, 'recordId');
    const who = await this.permissions.resolve(principal);
    requireDataAccess(who);
    const [found] = await this.store.records.get(who.hat, [wanted]);
    if (!found) requireAllFound([wanted], [], 'it may have been deleted');
    requireRead(who, namespaceOf(found!.endpoint));
    this.used(who);
    return view(found!);
  }

  /** Records of one endpoint, oldest first unless ordered otherwise. */
  async read(principal: Principal, namespace: string, endpoint: string, query: ReadQuery): Promise<RecordView[]> {
    const name = table(namespace, endpoint);
    const options = readOptions(query);
    const who = await this.permissions.resolve(principal);
    requireRead(who, namespace);
    const records = options.take === 0 ? [] : await this.store.records.read(who.hat, name, options);
    this.used(who);
    return records.map(({ endpoint: e, recordId, json }) => ({ endpoint: e, recordId, json }));
  }

  /** Removes every record of one endpoint. */
  async clear(principal: Principal, namespace: string, endpoint: string): Promise<Deleted> {
    const name = table(namespace, endpoint);
    const who = await this.permissions.resolve(principal);
    requireWrite(who, namespace);
    const deleted = await this.store.records.clear(who.hat, name);
    this.used(who);
    return { message: 'All records deleted', deleted };
  }

  /**
   * Removes the chosen records, all or nothing: every id must exist on this HAT (404 naming the
   * missing ones), and an application needs write access to the namespace of every one of them.
   */
  async remove(principal: Principal, recordIds: readonly string[]): Promise<Deleted> {
    const ids = [...new Set(recordIds.map((id) => id.trim().toLowerCase()).filter((id) => id !== ''))];
    if (ids.length === 0) throw new InvalidInput('records must list the ids of the records to delete, separated by commas', { field: 'records' });
    if (ids.length > MAX_RECORDS_PER_WRITE) {
      throw new InvalidInput(`At most ${MAX_RECORDS_PER_WRITE} records can be deleted at once; got ${ids.length}`, { field: 'records' });
    }
    const malformed = ids.find((id) => !RECORD_ID_PATTERN.test(id));
    if (malformed !== undefined) throw new InvalidInput(`"${malformed.slice(0, 40)}" is not a record id`, { field: 'records' });
    const who = await this.permissions.resolve(principal);
    requireDataAccess(who);
    const found = await this.store.records.get(who.hat, ids);
    requireWriteAll(who, found.map((r) => namespaceOf(r.endpoint)), 'nothing was deleted');
    requireAllFound(ids, found, 'nothing was deleted');
    const deleted = await this.store.records.remove(who.hat, ids);
    this.used(who);
    return { message: 'All records deleted', deleted };
  }

  /** `{namespace: [endpoint, …]}` of the tables that hold records, limited to what the caller may read. */
  async sources(principal: Principal): Promise<Record<string, string[]>> {
    const who = await this.permissions.resolve(principal);
    requireDataAccess(who);
    const all = await this.store.records.sources(who.hat);
    const visible: Record<string, string[]> = {};
    for (const [ns, endpoints] of Object.entries(all)) if (canRead(who, ns)) visible[ns] = endpoints;
    this.used(who);
    return visible;
  }
}
