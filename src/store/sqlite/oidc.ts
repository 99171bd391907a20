import type Database from 'better-sqlite3';
import type { OidcGrantRow, OidcRecord, OidcStore } from '../ports.js';

export const OIDC_SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc (
  hat TEXT NOT NULL,
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  uid TEXT,
  user_code TEXT,
  client_id TEXT,
  account_id TEXT,
  expires_at INTEGER,
  consumed INTEGER,
  last_used_at INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (hat, model, id)
);
CREATE INDEX IF NOT EXISTS oidc_by_grant ON oidc (hat, grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_by_uid ON oidc (hat, model, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_by_user_code ON oidc (hat, model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_by_client ON oidc (hat, model, client_id, account_id) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_by_expiry ON oidc (expires_at) WHERE expires_at IS NOT NULL;
`;

type Row = { payload: string; consumed: number | null };

/** Expired rows are swept every this many writes (reads never return them anyway). */
const SWEEP_EVERY = 500;

function payloadOf(row: Row | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  if (row.consumed !== null) payload.consumed = row.consumed;
  return payload;
}

/** oidc-provider's records in the embedded store: one table, keyed by (hat, model, id). */
export function sqliteOidc(db: Database.Database): OidcStore {
  db.exec(OIDC_SCHEMA);
  const live = '(expires_at IS NULL OR expires_at > ?)';
  const s = {
    upsert: db.prepare(
      `INSERT INTO oidc (hat, model, id, payload, grant_id, uid, user_code, client_id, account_id, expires_at, consumed, created_at)
       VALUES (@hat, @model, @id, @payload, @grantId, @uid, @userCode, @clientId, @accountId, @expiresAt, NULL, @now)
       ON CONFLICT (hat, model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, client_id = excluded.client_id, account_id = excluded.account_id,
         expires_at = excluded.expires_at, consumed = NULL`,
    ),
    find: db.prepare(`SELECT payload, consumed FROM oidc WHERE hat = ? AND model = ? AND id = ? AND ${live}`),
    byUid: db.prepare(`SELECT payload, consumed FROM oidc WHERE hat = ? AND model = ? AND uid = ? AND ${live}`),
    byUserCode: db.prepare(`SELECT payload, consumed FROM oidc WHERE hat = ? AND model = ? AND user_code = ? AND ${live}`),
    consume: db.prepare('UPDATE oidc SET consumed = ? WHERE hat = ? AND model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc WHERE hat = ? AND model = ? AND id = ?'),
    revoke: db.prepare("DELETE FROM oidc WHERE hat = ? AND grant_id = ? AND model <> 'Grant'"),
    grants: db.prepare(
      `SELECT id, payload, last_used_at FROM oidc WHERE hat = ? AND model = 'Grant' AND ${live} ORDER BY created_at DESC, rowid DESC`,
    ),
    grantFor: db.prepare(
      `SELECT id FROM oidc WHERE hat = ? AND model = 'Grant' AND client_id = ? AND account_id = ? AND ${live} ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    ),
    touch: db.prepare("UPDATE oidc SET last_used_at = ? WHERE hat = ? AND model = 'Grant' AND id = ?"),
    sweep: db.prepare('DELETE FROM oidc WHERE expires_at IS NOT NULL AND expires_at <= ?'),
  };
  let writes = 0;
  return {
    async upsert(hat, model, id, record: OidcRecord) {
      const now = Date.now();
      s.upsert.run({
        hat,
        model,
        id,
        payload: JSON.stringify(record.payload),
        grantId: record.grantId ?? null,
        uid: record.uid ?? null,
        userCode: record.userCode ?? null,
        clientId: record.clientId ?? null,
        accountId: record.accountId ?? null,
        expiresAt: record.expiresAt ? record.expiresAt.getTime() : null,
        now,
      });
      if (++writes % SWEEP_EVERY === 0) s.sweep.run(now);
    },
    async find(hat, model, id) {
      return payloadOf(s.find.get(hat, model, id, Date.now()) as Row | undefined);
    },
    async findByUid(hat, model, uid) {
      return payloadOf(s.byUid.get(hat, model, uid, Date.now()) as Row | undefined);
    },
    async findByUserCode(hat, model, userCode) {
      return payloadOf(s.byUserCode.get(hat, model, userCode, Date.now()) as Row | undefined);
    },
    async consume(hat, model, id, at) {
      s.consume.run(at, hat, model, id);
    },
    async destroy(hat, model, id) {
      s.destroy.run(hat, model, id);
    },
    async revokeByGrantId(hat, grantId) {
      s.revoke.run(hat, grantId);
    },
    async grants(hat): Promise<OidcGrantRow[]> {
      const rows = s.grants.all(hat, Date.now()) as Array<{ id: string; payload: string; last_used_at: number | null }>;
      return rows.map((r) => ({
        id: r.id,
        payload: JSON.parse(r.payload) as Record<string, unknown>,
        lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
      }));
    },
    async grantFor(hat, clientId, accountId) {
      const row = s.grantFor.get(hat, clientId, accountId, Date.now()) as { id: string } | undefined;
      return row ? row.id : null;
    },
    async touchGrant(hat, grantId, at) {
      s.touch.run(at.getTime(), hat, grantId);
    },
  };
}
