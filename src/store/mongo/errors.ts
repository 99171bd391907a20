import { UniqueViolation } from '../../errors.js';

/** What `_id` means in each collection, for UniqueViolation's field. */
const ID_MEANS: Readonly<Record<string, string>> = {
  hats: 'name',
  keys: 'kid',
  applications: 'id',
  records: 'recordId',
  approvals: 'id',
  activity: 'id',
  sessions: 'id',
};

interface ServerErrorShape {
  code?: unknown;
  keyPattern?: unknown;
  keyValue?: unknown;
  errmsg?: unknown;
  message?: unknown;
  errorResponse?: unknown;
  writeErrors?: unknown;
}

/** The error itself, the server's reply, and each write error of a bulk insert: wherever E11000 sits. */
function errorParts(err: unknown): ServerErrorShape[] {
  if (err === null || typeof err !== 'object') return [];
  const e = err as ServerErrorShape;
  const writeErrors = Array.isArray(e.writeErrors) ? (e.writeErrors as Array<{ err?: unknown } | null>) : [];
  return [e, e.errorResponse, ...writeErrors.map((w) => w?.err ?? w)].filter(
    (c): c is ServerErrorShape => c !== null && typeof c === 'object',
  );
}

/**
 * E11000 → UniqueViolation(field), or null for any other error. The field comes from the error's
 * keyPattern (or keyValue); `_id` is named as the port names it, by the collection in the message
 * (`collection: db.keys`), else `idFallback`. A bulk insert keeps all this on its first write error.
 */
export function uniqueViolationOf(err: unknown, idFallback: string): UniqueViolation | null {
  for (const part of errorParts(err)) {
    if (part.code !== 11000 && part.code !== 11001) continue;
    const text = String(part.errmsg ?? part.message ?? '');
    let field: string | undefined;
    for (const pattern of [part.keyPattern, part.keyValue]) {
      if (!field && pattern && typeof pattern === 'object') field = Object.keys(pattern)[0];
    }
    field ??= /dup key: \{ ?"?([A-Za-z0-9_]+)"?:/.exec(text)?.[1] ?? /index: ([A-Za-z0-9_]+?)_-?1\b/.exec(text)?.[1] ?? '_id';
    if (field === '_id') {
      const collection = /collection: [^\s.]+\.([A-Za-z0-9_]+)/.exec(text)?.[1];
      field = (collection && ID_MEANS[collection]) || idFallback;
    }
    return new UniqueViolation(field);
  }
  return null;
}

export function translateUnique(err: unknown, idFallback: string): never {
  throw uniqueViolationOf(err, idFallback) ?? err;
}

/** Driver errors that mean the replica set is not answering (503): see reliability.ts. */
export { mongoUnavailable } from './reliability.js';
