import type { ActivityEntry, ActivityStore } from '../ports.js';
import { date, type Row, type Sqlite } from './db.js';

export const ACTIVITY_SCHEMA = `
CREATE TABLE IF NOT EXISTS activity (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  hat TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  via TEXT NOT NULL,
  service TEXT,
  redirect_host TEXT,
  client_ip TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS activity_by_hat ON activity (hat, seq);
`;

function activityFromRow(r: Row): ActivityEntry {
  const entry: ActivityEntry = {
    id: String(r.id),
    hat: String(r.hat),
    at: date(r.at),
    type: r.type as ActivityEntry['type'],
    via: String(r.via),
  };
  if (r.service !== null) entry.service = String(r.service);
  if (r.redirect_host !== null) entry.redirectHost = String(r.redirect_host);
  if (r.client_ip !== null) entry.clientIp = String(r.client_ip);
  if (r.detail !== null) entry.detail = String(r.detail);
  return entry;
}

/** A HAT's activity log, newest first in the order it was written. */
export function sqliteActivity(sql: Sqlite): ActivityStore {
  const q = {
    append: sql.db.prepare(
      `INSERT INTO activity (id, hat, at, type, via, service, redirect_host, client_ip, detail)
       VALUES (@id, @hat, @at, @type, @via, @service, @redirectHost, @clientIp, @detail)`,
    ),
    list: sql.db.prepare('SELECT * FROM activity WHERE hat = ? ORDER BY seq DESC LIMIT ? OFFSET ?'),
    count: sql.db.prepare('SELECT count(*) FROM activity WHERE hat = ?').pluck(),
  };
  return {
    async append(e) {
      q.append.run({
        id: e.id,
        hat: e.hat,
        at: e.at.getTime(),
        type: e.type,
        via: e.via,
        service: e.service ?? null,
        redirectHost: e.redirectHost ?? null,
        clientIp: e.clientIp ?? null,
        detail: e.detail ?? null,
      });
    },
    async list(hat, { skip, take }) {
      return (q.list.all(hat, take, skip) as Row[]).map(activityFromRow);
    },
    async count(hat) {
      return Number(q.count.get(hat));
    },
  };
}
