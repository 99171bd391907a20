import type { ApplicationRecord, ApplicationStore } from '../ports.js';
import { date, type Row, type Sqlite } from './db.js';
import { translateUnique } from './errors.js';

/** The registration (without createdAt) is kept as JSON text and returned exactly as it was given. */
export const APPLICATIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS applications (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

function applicationFromRow(r: Row): ApplicationRecord {
  const body = JSON.parse(String(r.body)) as Omit<ApplicationRecord, 'createdAt'>;
  return { ...body, createdAt: date(r.created_at) };
}

/** The cluster's application registry. */
export function sqliteApplications(sql: Sqlite): ApplicationStore {
  const q = {
    insert: sql.db.prepare('INSERT INTO applications (id, body, created_at) VALUES (?, ?, ?)'),
    update: sql.db.prepare('UPDATE applications SET body = ? WHERE id = ?'),
    get: sql.db.prepare('SELECT * FROM applications WHERE id = ?'),
    list: sql.db.prepare('SELECT * FROM applications ORDER BY id'),
    remove: sql.db.prepare('DELETE FROM applications WHERE id = ?'),
  };
  return {
    async create(app) {
      const { createdAt, ...body } = app;
      try {
        q.insert.run(app.id, JSON.stringify(body), createdAt.getTime());
      } catch (err) {
        translateUnique(err);
      }
    },
    async update(app) {
      const { createdAt: _ignored, ...body } = app;
      return q.update.run(JSON.stringify(body), app.id).changes > 0;
    },
    async get(id) {
      const row = q.get.get(id) as Row | undefined;
      return row ? applicationFromRow(row) : null;
    },
    async list() {
      return (q.list.all() as Row[]).map(applicationFromRow);
    },
    async remove(id) {
      return q.remove.run(id).changes > 0;
    },
  };
}
