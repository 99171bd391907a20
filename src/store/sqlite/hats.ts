import type { HatRecord, HatStore, KeyRecord } from '../ports.js';
import { date, type BumpRevision, type Row, type Sqlite } from './db.js';
import { translateUnique } from './errors.js';
import { keyInserter } from './keys.js';

export const HATS_SCHEMA = `
CREATE TABLE IF NOT EXISTS hats (
  name TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL UNIQUE,
  full_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  tokens_not_before INTEGER NOT NULL,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
`;

/**
 * Every write that changes what a token or session may do bumps this, in its own transaction:
 * the one statement for it, shared by every aggregate that writes such a change.
 */
export function revisionBump(sql: Sqlite): BumpRevision {
  const bump = sql.db.prepare('UPDATE hats SET revision = revision + 1 WHERE name = ?');
  return (hat) => bump.run(hat).changes > 0;
}

function hatFromRow(r: Row): HatRecord {
  return {
    name: String(r.name),
    ownerId: String(r.owner_id),
    email: String(r.email),
    fullName: String(r.full_name),
    passwordHash: String(r.password_hash),
    disabled: r.disabled === 1,
    tokensNotBefore: Number(r.tokens_not_before),
    revision: Number(r.revision),
    createdAt: date(r.created_at),
  };
}

/**
 * The HAT aggregate: the HAT's own row, and what is written with it atomically: at creation its
 * first key; at a password change that ends service tokens, the stamps of its grants and approvals.
 */
export function sqliteHats(sql: Sqlite): HatStore {
  const q = {
    insert: sql.db.prepare(
      `INSERT INTO hats (name, owner_id, email, full_name, password_hash, disabled, tokens_not_before, revision, created_at)
       VALUES (@name, @ownerId, @email, @fullName, @passwordHash, @disabled, @tokensNotBefore, @revision, @createdAt)`,
    ),
    find: sql.db.prepare('SELECT * FROM hats WHERE name = ?'),
    findByEmail: sql.db.prepare('SELECT * FROM hats WHERE email = ?'),
    revision: sql.db.prepare('SELECT revision FROM hats WHERE name = ?').pluck(),
    // Stamps never go backwards (SPEC 10): max() keeps a later stamp a concurrent writer set.
    setPassword: sql.db.prepare(
      'UPDATE hats SET password_hash = ?, tokens_not_before = max(tokens_not_before, ?), revision = revision + 1 WHERE name = ?',
    ),
    endGrantTokens: sql.db.prepare('UPDATE grants SET tokens_not_before = max(tokens_not_before, ?) WHERE hat = ?'),
    endApprovalTokens: sql.db.prepare('UPDATE approvals SET tokens_not_before = max(tokens_not_before, ?) WHERE hat = ?'),
    replaceHash: sql.db.prepare('UPDATE hats SET password_hash = ? WHERE name = ? AND password_hash = ?'),
    setDisabled: sql.db.prepare('UPDATE hats SET disabled = ?, revision = revision + 1 WHERE name = ?'),
    count: sql.db.prepare('SELECT count(*) FROM hats').pluck(),
  };
  const insertKey = keyInserter(sql);
  const create = sql.transaction((hat: HatRecord, key: KeyRecord) => {
    q.insert.run({ ...hat, disabled: hat.disabled ? 1 : 0, createdAt: hat.createdAt.getTime() });
    insertKey(key);
  });
  // A password change that ends service tokens too writes the HAT's grants and approvals with it.
  const setPassword = sql.transaction((name: string, hash: string, notBefore: number, endServiceTokens: boolean) => {
    q.setPassword.run(hash, notBefore, name);
    if (!endServiceTokens) return;
    q.endGrantTokens.run(notBefore, name);
    q.endApprovalTokens.run(notBefore, name);
  });
  return {
    async create(hat, key) {
      try {
        create(hat, key);
      } catch (err) {
        translateUnique(err);
      }
    },
    async find(name) {
      const row = q.find.get(name) as Row | undefined;
      return row ? hatFromRow(row) : null;
    },
    async findByEmail(email) {
      const row = q.findByEmail.get(email) as Row | undefined;
      return row ? hatFromRow(row) : null;
    },
    async revision(name) {
      const rev = q.revision.get(name) as number | undefined;
      return rev ?? null;
    },
    async setPassword(name, passwordHash, tokensNotBefore, endServiceTokens = false) {
      setPassword(name, passwordHash, tokensNotBefore, endServiceTokens);
    },
    async replacePasswordHash(name, expected, passwordHash) {
      return q.replaceHash.run(passwordHash, name, expected).changes > 0;
    },
    async setDisabled(name, disabled) {
      q.setDisabled.run(disabled ? 1 : 0, name);
    },
    async count() {
      return Number(q.count.get());
    },
  };
}
