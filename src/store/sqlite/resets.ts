import Database from 'better-sqlite3';
import { UniqueViolation } from '../../errors.js';
import type { ResetPurpose, ResetRecord, ResetStore } from '../ports.js';
import type { BumpRevision } from './db.js';

/**
 * One-time links sent by mail (SPEC 13) in the embedded store. One row per HAT and purpose: a
 * newer link replaces the row, so an earlier link stops working in the same write. Using a link
 * deletes its row (DELETE … RETURNING), so two concurrent uses cannot both succeed.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS resets (
  hat TEXT NOT NULL,
  purpose TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (hat, purpose)
);
CREATE TABLE IF NOT EXISTS verified_emails (
  hat TEXT PRIMARY KEY,
  email TEXT NOT NULL
);
`;

type Row = Record<string, unknown>;

function fromRow(r: Row): ResetRecord {
  return {
    hash: String(r.hash),
    hat: String(r.hat),
    purpose: String(r.purpose) as ResetPurpose,
    email: String(r.email),
    fingerprint: String(r.fingerprint),
    createdAt: new Date(Number(r.created_at)),
    expiresAt: new Date(Number(r.expires_at)),
  };
}

export function sqliteResets(db: Database.Database, bump: BumpRevision): ResetStore {
  db.exec(SCHEMA);
  const q = {
    issue: db.prepare(
      `INSERT OR REPLACE INTO resets (hat, purpose, hash, email, fingerprint, created_at, expires_at)
       VALUES (@hat, @purpose, @hash, @email, @fingerprint, @createdAt, @expiresAt)`,
    ),
    find: db.prepare('SELECT * FROM resets WHERE hash = ? AND expires_at > ?'),
    claim: db.prepare('DELETE FROM resets WHERE hash = ? AND expires_at > ? RETURNING *'),
    revoke: db.prepare('DELETE FROM resets WHERE hat = ? AND purpose = ?'),
    expire: db.prepare('DELETE FROM resets WHERE expires_at <= ?'),
    verified: db.prepare('SELECT email FROM verified_emails WHERE hat = ?').pluck(),
    setEmail: db.prepare('UPDATE hats SET email = ? WHERE name = ?'),
    setVerified: db.prepare('INSERT OR REPLACE INTO verified_emails (hat, email) VALUES (?, ?)'),
  };
  const confirm = db.transaction((hat: string, email: string) => {
    if (q.setEmail.run(email, hat).changes === 0) return;
    bump(hat);
    q.setVerified.run(hat, email);
  });
  return {
    async issue(link) {
      // Expired rows of every HAT go with each new link: the table stays as small as the live links.
      q.expire.run(Date.now());
      q.issue.run({ ...link, createdAt: link.createdAt.getTime(), expiresAt: link.expiresAt.getTime() });
    },
    async find(hash, now) {
      const row = q.find.get(String(hash), now.getTime()) as Row | undefined;
      return row ? fromRow(row) : null;
    },
    async claim(hash, now) {
      const row = q.claim.get(String(hash), now.getTime()) as Row | undefined;
      return row ? fromRow(row) : null;
    },
    async revoke(hat, purpose) {
      q.revoke.run(hat, purpose);
    },
    async verifiedEmail(hat) {
      return String((q.verified.get(hat) as string | undefined) ?? '');
    },
    async confirmEmail(hat, email) {
      try {
        confirm(hat, email);
      } catch (err) {
        if (err instanceof Database.SqliteError && /^SQLITE_CONSTRAINT/.test(err.code)) throw new UniqueViolation('email');
        throw err;
      }
    },
  };
}
