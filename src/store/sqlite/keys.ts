import type { KeyRecord, KeyStore } from '../ports.js';
import { date, type BumpRevision, type Row, type Sqlite } from './db.js';
import { translateUnique } from './errors.js';

export const KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS keys (
  kid TEXT PRIMARY KEY,
  hat TEXT NOT NULL REFERENCES hats(name) ON DELETE CASCADE,
  public_pem TEXT NOT NULL,
  private_key_enc TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_by_hat ON keys (hat, created_at);
`;

function keyFromRow(r: Row): KeyRecord {
  return {
    kid: String(r.kid),
    hat: String(r.hat),
    publicPem: String(r.public_pem),
    privateKeyEnc: String(r.private_key_enc),
    createdAt: date(r.created_at),
  };
}

/** Writes one key row, inside the caller's transaction (a new HAT's first key, or an added one). */
export function keyInserter(sql: Sqlite): (key: KeyRecord) => void {
  const insert = sql.db.prepare(
    `INSERT INTO keys (kid, hat, public_pem, private_key_enc, created_at) VALUES (@kid, @hat, @publicPem, @privateKeyEnc, @createdAt)`,
  );
  return (key) => void insert.run({ ...key, createdAt: key.createdAt.getTime() });
}

/** A HAT's signing keys. Adding one bumps the HAT's revision in the same transaction. */
export function sqliteKeys(sql: Sqlite, bump: BumpRevision): KeyStore {
  const list = sql.db.prepare('SELECT * FROM keys WHERE hat = ? ORDER BY created_at DESC, rowid DESC');
  const insert = keyInserter(sql);
  const add = sql.transaction((key: KeyRecord) => {
    insert(key);
    bump(key.hat);
  });
  return {
    async list(hat) {
      return (list.all(hat) as Row[]).map(keyFromRow);
    },
    async add(key) {
      try {
        add(key);
      } catch (err) {
        translateUnique(err);
      }
    },
  };
}
