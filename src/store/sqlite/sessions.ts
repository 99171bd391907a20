import type { SessionRecord, SessionStore, SessionSummary } from '../ports.js';
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

/**
 * The columns of the owner's list of sessions (SPEC 7), added to a table made before them: a
 * session saved by an earlier version shows no browser and no login time until its next save.
 */
const LIST_COLUMNS: ReadonlyArray<[string, string]> = [
  ['user_agent', "TEXT NOT NULL DEFAULT ''"],
  ['logged_in_at', 'INTEGER'],
  ['last_seen_at', 'INTEGER NOT NULL DEFAULT 0'],
];

function addListColumns(sql: Sqlite): void {
  const present = new Set((sql.db.prepare('PRAGMA table_info(sessions)').all() as Row[]).map((c) => String(c.name)));
  for (const [name, type] of LIST_COLUMNS) if (!present.has(name)) sql.db.exec(`ALTER TABLE sessions ADD COLUMN ${name} ${type}`);
}

/** The row's values for a write: the list's columns default to '', null and now. */
function params(s: SessionRecord) {
  return {
    id: s.id,
    hat: s.hat,
    data: JSON.stringify(s.data),
    expiresAt: s.expiresAt.getTime(),
    userAgent: s.userAgent ?? '',
    loggedInAt: s.loggedInAt ? s.loggedInAt.getTime() : null,
    lastSeenAt: (s.lastSeenAt ?? new Date()).getTime(),
  };
}

/** Browser sessions; expired ones are never returned, and swept now and then. */
export function sqliteSessions(sql: Sqlite): SessionStore {
  addListColumns(sql);
  const q = {
    get: sql.db.prepare('SELECT id, hat, data, expires_at FROM sessions WHERE id = ? AND expires_at > ?'),
    put: sql.db.prepare(
      `INSERT INTO sessions (id, hat, data, expires_at, user_agent, logged_in_at, last_seen_at)
       VALUES (@id, @hat, @data, @expiresAt, @userAgent, @loggedInAt, @lastSeenAt)
       ON CONFLICT(id) DO UPDATE SET hat = excluded.hat, data = excluded.data, expires_at = excluded.expires_at,
         user_agent = excluded.user_agent, logged_in_at = excluded.logged_in_at, last_seen_at = excluded.last_seen_at`,
    ),
    update: sql.db.prepare(
      `UPDATE sessions SET hat = @hat, data = @data, expires_at = @expiresAt, user_agent = @userAgent,
         logged_in_at = @loggedInAt, last_seen_at = @lastSeenAt WHERE id = @id`,
    ),
    destroy: sql.db.prepare('DELETE FROM sessions WHERE id = ?'),
    destroyForHat: sql.db.prepare('DELETE FROM sessions WHERE hat = ?'),
    listLoggedIn: sql.db.prepare(
      `SELECT id, user_agent, logged_in_at, last_seen_at, expires_at FROM sessions
       WHERE hat = ? AND expires_at > ? AND logged_in_at IS NOT NULL ORDER BY last_seen_at DESC, id`,
    ),
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
      q.put.run(params(s));
    },
    async update(s) {
      return q.update.run(params(s)).changes > 0;
    },
    async destroy(id) {
      q.destroy.run(id);
    },
    async destroyForHat(hat) {
      return q.destroyForHat.run(hat).changes;
    },
    async listLoggedIn(hat) {
      return (q.listLoggedIn.all(String(hat), Date.now()) as Row[]).map(
        (r): SessionSummary => ({
          id: String(r.id),
          userAgent: String(r.user_agent),
          loggedInAt: date(r.logged_in_at),
          lastSeenAt: date(r.last_seen_at),
          expiresAt: date(r.expires_at),
        }),
      );
    },
  };
}
