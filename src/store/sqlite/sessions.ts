import type { SessionRecord, SessionStore } from '../ports.js';
import { date, type Row, type Sqlite } from './db.js';

export const SESSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  hat TEXT NOT NULL,
  data TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_hat ON sessions (hat);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
`;

/** Browser sessions; expired ones are never returned, and swept now and then. */
export function sqliteSessions(sql: Sqlite): SessionStore {
  const q = {
    get: sql.db.prepare('SELECT * FROM sessions WHERE id = ? AND expires_at > ?'),
    put: sql.db.prepare(
      `INSERT INTO sessions (id, hat, data, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET hat = excluded.hat, data = excluded.data, expires_at = excluded.expires_at`,
    ),
    destroy: sql.db.prepare('DELETE FROM sessions WHERE id = ?'),
    destroyForHat: sql.db.prepare('DELETE FROM sessions WHERE hat = ?'),
    expire: sql.db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
  };
  sql.sweep((now) => q.expire.run(now));
  return {
    async get(id) {
      const row = q.get.get(id, Date.now()) as Row | undefined;
      if (!row) return null;
      return {
        id: String(row.id),
        hat: String(row.hat),
        data: JSON.parse(String(row.data)) as Record<string, unknown>,
        expiresAt: date(row.expires_at),
      } satisfies SessionRecord;
    },
    async set(s) {
      q.put.run(s.id, s.hat, JSON.stringify(s.data), s.expiresAt.getTime());
    },
    async destroy(id) {
      q.destroy.run(id);
    },
    async destroyForHat(hat) {
      return q.destroyForHat.run(hat).changes;
    },
  };
}
