import Database from 'better-sqlite3';
import { UniqueViolation } from '../../errors.js';

/** `UNIQUE constraint failed: hats.email` → UniqueViolation('email'); any other error is rethrown. */
export function translateUnique(err: unknown): never {
  if (err instanceof Database.SqliteError && /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(err.code)) {
    const column = /UNIQUE constraint failed: \w+\.(\w+)/.exec(err.message)?.[1] ?? 'id';
    // The port's field names: owner_id → ownerId, record_id → recordId.
    throw new UniqueViolation(column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
  }
  throw err;
}

/** SQLite errors that mean the file cannot be used now (locked, full, unreadable, closed). */
export function sqliteUnavailable(err: unknown): boolean {
  if (err instanceof Database.SqliteError) {
    return /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB)/.test(err.code);
  }
  return err instanceof TypeError && /database connection is not open/.test(err.message);
}
