import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { attemptCounters } from '../attempts.js';
import type { Store } from '../ports.js';
import type { Sqlite } from './db.js';

/**
 * rate-limiter-flexible's own table, made here because the library makes it asynchronously and
 * refuses to count until then (a counter used at once would fail "Table is not created yet").
 */
export const ATTEMPTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS attempts (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER);
`;

/** Attempt counters shared by every process on this file; ended windows are swept now and then. */
export function sqliteAttempts(sql: Sqlite): Store['attempts'] {
  const expire = sql.db.prepare('DELETE FROM attempts WHERE expire IS NOT NULL AND expire <= ?');
  sql.sweep((now) => expire.run(now));
  return attemptCounters(
    (name, windowSeconds, limit) =>
      new RateLimiterSQLite({
        storeClient: sql.db,
        storeType: 'better-sqlite3',
        tableName: 'attempts',
        keyPrefix: name,
        points: limit,
        duration: windowSeconds,
        tableCreated: true,
      }),
  );
}
