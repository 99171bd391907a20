import type { GrantRecord, GrantStore, Permission } from '../ports.js';
import { date, maybeDate, type BumpRevision, type Row, type Sqlite } from './db.js';

export const GRANTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS grants (
  hat TEXT NOT NULL,
  application_id TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  permissions TEXT NOT NULL,
  version TEXT NOT NULL,
  tokens_not_before INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (hat, application_id)
);
`;

function grantFromRow(r: Row): GrantRecord {
  return {
    hat: String(r.hat),
    applicationId: String(r.application_id),
    enabled: r.enabled === 1,
    permissions: JSON.parse(String(r.permissions)) as Permission[],
    version: String(r.version),
    tokensNotBefore: Number(r.tokens_not_before),
    updatedAt: date(r.updated_at),
    lastUsedAt: maybeDate(r.last_used_at),
  };
}

/** An application's status on each HAT. Every change but `touch` bumps the HAT's revision with it. */
export function sqliteGrants(sql: Sqlite, bump: BumpRevision): GrantStore {
  const q = {
    get: sql.db.prepare('SELECT * FROM grants WHERE hat = ? AND application_id = ?'),
    list: sql.db.prepare('SELECT * FROM grants WHERE hat = ? ORDER BY application_id'),
    put: sql.db.prepare(
      `INSERT INTO grants (hat, application_id, enabled, permissions, version, tokens_not_before, updated_at, last_used_at)
       VALUES (@hat, @applicationId, @enabled, @permissions, @version, @tokensNotBefore, @updatedAt, @lastUsedAt)
       ON CONFLICT(hat, application_id) DO UPDATE SET enabled = excluded.enabled, permissions = excluded.permissions,
         version = excluded.version, tokens_not_before = max(grants.tokens_not_before, excluded.tokens_not_before),
         updated_at = excluded.updated_at,
         last_used_at = excluded.last_used_at`,
    ),
    holders: sql.db.prepare('SELECT hat FROM grants WHERE application_id = ?').pluck(),
    removeForApplication: sql.db.prepare('DELETE FROM grants WHERE application_id = ?'),
    touch: sql.db.prepare('UPDATE grants SET last_used_at = ? WHERE hat = ? AND application_id = ?'),
  };
  const put = sql.transaction((g: GrantRecord) => {
    q.put.run({
      ...g,
      enabled: g.enabled ? 1 : 0,
      permissions: JSON.stringify(g.permissions),
      updatedAt: g.updatedAt.getTime(),
      lastUsedAt: g.lastUsedAt?.getTime() ?? null,
    });
    bump(g.hat);
  });
  const removeForApplication = sql.transaction((applicationId: string) => {
    for (const hat of q.holders.all(applicationId) as string[]) bump(hat);
    return q.removeForApplication.run(applicationId).changes;
  });
  return {
    async get(hat, applicationId) {
      const row = q.get.get(hat, applicationId) as Row | undefined;
      return row ? grantFromRow(row) : null;
    },
    async list(hat) {
      return (q.list.all(hat) as Row[]).map(grantFromRow);
    },
    async put(grant) {
      put(grant);
    },
    async touch(hat, applicationId, at) {
      q.touch.run(at.getTime(), hat, applicationId);
    },
    async removeForApplication(applicationId) {
      return removeForApplication(applicationId);
    },
  };
}
