import type Database from 'better-sqlite3';
import type { KeyRecord, KeyRetirement, KeyRotationStore } from '../ports.js';
import type { BumpRevision } from './db.js';

/** One row per retired key: when it stops verifying, and whether a `revoke` stopped it at once. */
export const KEY_ROTATION_SCHEMA = `
CREATE TABLE IF NOT EXISTS key_retirements (
  kid TEXT PRIMARY KEY,
  hat TEXT NOT NULL,
  retire_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS key_retirements_by_hat ON key_retirements (hat);
`;

type Row = Record<string, unknown>;

/** Key rotation with overlap in the embedded store: the whole rotation is one transaction. */
export function sqliteKeyRotation(db: Database.Database, bump: BumpRevision): KeyRotationStore {
  db.exec(KEY_ROTATION_SCHEMA);
  const q = {
    // Every key of the HAT not retired yet retires at the given time; one retiring sooner keeps its time.
    retire: db.prepare(
      `INSERT INTO key_retirements (kid, hat, retire_at, revoked)
         SELECT kid, hat, @retireAt, @revoked FROM keys WHERE hat = @hat
       ON CONFLICT(kid) DO UPDATE SET
         retire_at = min(retire_at, excluded.retire_at), revoked = max(revoked, excluded.revoked)`,
    ),
    insertKey: db.prepare(
      `INSERT INTO keys (kid, hat, public_pem, private_key_enc, created_at) VALUES (@kid, @hat, @publicPem, @privateKeyEnc, @createdAt)`,
    ),
    list: db.prepare('SELECT * FROM key_retirements WHERE hat = ?'),
  };
  const rotate = db.transaction((key: KeyRecord, retireAt: number, revoke: boolean): boolean => {
    // The bump first: it says whether the HAT exists, and takes the write lock for the rest.
    if (!bump(key.hat)) return false;
    q.retire.run({ hat: key.hat, retireAt, revoked: revoke ? 1 : 0 });
    q.insertKey.run({ ...key, createdAt: key.createdAt.getTime() });
    return true;
  });
  return {
    async rotate(key, { retireAt, revoke }) {
      return rotate.immediate(key, retireAt.getTime(), revoke);
    },
    async retirements(hat) {
      return (q.list.all(hat) as Row[]).map(
        (r): KeyRetirement => ({ kid: String(r.kid), hat: String(r.hat), retireAt: new Date(Number(r.retire_at)), revoked: r.revoked === 1 }),
      );
    },
  };
}
