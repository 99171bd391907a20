import type Database from 'better-sqlite3';
import type { OnceStore } from '../ports.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS once_claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS once_claims_by_expiry ON once_claims (expires_at);
`;

/** How many claims between two sweeps of the expired ones. */
const SWEEP_EVERY = 500;

/** The OnceStore port on SQLite: the primary key decides, so two processes on one file agree. */
export function sqliteOnce(db: Database.Database): OnceStore {
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT OR IGNORE INTO once_claims (key, expires_at) VALUES (?, ?)');
  const sweep = db.prepare('DELETE FROM once_claims WHERE expires_at <= ?');
  let claims = 0;
  return {
    async claim(key, expiresAt) {
      if (++claims % SWEEP_EVERY === 0) sweep.run(Date.now());
      return insert.run(String(key), expiresAt.getTime()).changes === 1;
    },
  };
}
