import type { ApprovalRecord, ApprovalStore } from '../ports.js';
import { date, maybeDate, type BumpRevision, type Row, type Sqlite } from './db.js';

export const APPROVALS_SCHEMA = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  hat TEXT NOT NULL,
  name TEXT NOT NULL,
  origin TEXT NOT NULL,
  tokens_not_before INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  UNIQUE (hat, name, origin)
);
`;

function approvalFromRow(r: Row): ApprovalRecord {
  return {
    id: String(r.id),
    hat: String(r.hat),
    name: String(r.name),
    origin: String(r.origin),
    tokensNotBefore: Number(r.tokens_not_before),
    createdAt: date(r.created_at),
    lastUsedAt: maybeDate(r.last_used_at),
  };
}

/** The generic services each HAT's owner approved. Every change but `touch` bumps the HAT's revision with it. */
export function sqliteApprovals(sql: Sqlite, bump: BumpRevision): ApprovalStore {
  const q = {
    find: sql.db.prepare('SELECT * FROM approvals WHERE hat = ? AND name = ? AND origin = ?'),
    get: sql.db.prepare('SELECT * FROM approvals WHERE hat = ? AND id = ?'),
    list: sql.db.prepare('SELECT * FROM approvals WHERE hat = ? ORDER BY created_at DESC'),
    put: sql.db.prepare(
      `INSERT INTO approvals (id, hat, name, origin, tokens_not_before, created_at, last_used_at)
       VALUES (@id, @hat, @name, @origin, @tokensNotBefore, @createdAt, @lastUsedAt)
       ON CONFLICT(hat, name, origin) DO UPDATE SET tokens_not_before = max(approvals.tokens_not_before, excluded.tokens_not_before),
         created_at = excluded.created_at, last_used_at = excluded.last_used_at`,
    ),
    remove: sql.db.prepare('DELETE FROM approvals WHERE hat = ? AND id = ?'),
    touch: sql.db.prepare('UPDATE approvals SET last_used_at = ? WHERE hat = ? AND id = ?'),
  };
  const put = sql.transaction((a: ApprovalRecord) => {
    q.put.run({ ...a, createdAt: a.createdAt.getTime(), lastUsedAt: a.lastUsedAt?.getTime() ?? null });
    bump(a.hat);
  });
  const remove = sql.transaction((hat: string, id: string) => {
    const removed = q.remove.run(hat, id).changes > 0;
    if (removed) bump(hat);
    return removed;
  });
  return {
    async find(hat, name, origin) {
      const row = q.find.get(hat, name, origin) as Row | undefined;
      return row ? approvalFromRow(row) : null;
    },
    async get(hat, id) {
      const row = q.get.get(hat, id) as Row | undefined;
      return row ? approvalFromRow(row) : null;
    },
    async list(hat) {
      return (q.list.all(hat) as Row[]).map(approvalFromRow);
    },
    async put(approval) {
      put(approval);
    },
    async remove(hat, id) {
      return remove(hat, id);
    },
    async touch(hat, id, at) {
      q.touch.run(at.getTime(), hat, id);
    },
  };
}
