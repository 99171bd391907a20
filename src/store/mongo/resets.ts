import type { ClientSession, Connection } from 'mongoose';
import { UniqueViolation } from '../../errors.js';
import type { ResetPurpose, ResetRecord, ResetStore } from '../ports.js';
import type { BumpRevision } from './hats.js';

/**
 * One-time links sent by mail (SPEC 13) in MongoDB; the same behaviour as `sqlite/resets.ts`.
 * One document per HAT and purpose (`_id` = `<hat>/<purpose>`): a newer link replaces it, so an
 * earlier link stops working in the same write. Using a link is a findOneAndDelete on its hash:
 * of two concurrent uses, one gets the document and the other nothing. Every filter is built from
 * String()/Date values, never from a caller's object.
 */
interface ResetDoc {
  _id: string;
  hat: string;
  purpose: string;
  hash: string;
  email: string;
  fingerprint: string;
  createdAt: Date;
  expiresAt: Date;
}

interface VerifiedDoc {
  _id: string;
  /** Also in `_id`; named `hat` so that deleting a HAT (HatAdminStore.remove) finds it. */
  hat: string;
  email: string;
}

const TRANSACTION_OPTIONS = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
} as const;

function fromDoc(d: ResetDoc): ResetRecord {
  return {
    hash: d.hash,
    hat: d.hat,
    purpose: d.purpose as ResetPurpose,
    email: d.email,
    fingerprint: d.fingerprint,
    createdAt: new Date(d.createdAt),
    expiresAt: new Date(d.expiresAt),
  };
}

function isDuplicate(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 11000 || code === 11001;
}

/** Builds the collections' indexes (awaited at open, like the adapter's own). */
export async function mongoResets(conn: Connection, bump: BumpRevision): Promise<ResetStore> {
  const resets = conn.collection<ResetDoc>('resets');
  const verified = conn.collection<VerifiedDoc>('verified_emails');
  await resets.createIndex({ hash: 1 }, { unique: true });
  // MongoDB removes expired links by itself (within a minute); queries also check expiresAt.
  await resets.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  // Collections must exist before a transaction writes to them.
  await verified.createIndex({ email: 1 });
  const live = (hash: string, now: Date) => ({ hash: String(hash), expiresAt: { $gt: new Date(now) } });
  return {
    async issue(link) {
      const doc: ResetDoc = {
        _id: `${String(link.hat)}/${String(link.purpose)}`,
        hat: String(link.hat),
        purpose: String(link.purpose),
        hash: String(link.hash),
        email: String(link.email),
        fingerprint: String(link.fingerprint),
        createdAt: new Date(link.createdAt),
        expiresAt: new Date(link.expiresAt),
      };
      await resets.replaceOne({ _id: doc._id }, doc, { upsert: true });
    },
    async find(hash, now) {
      const doc = await resets.findOne(live(hash, now));
      return doc ? fromDoc(doc) : null;
    },
    async claim(hash, now) {
      const doc = await resets.findOneAndDelete(live(hash, now));
      return doc ? fromDoc(doc) : null;
    },
    async revoke(hat, purpose) {
      await resets.deleteOne({ _id: `${String(hat)}/${String(purpose)}` });
    },
    async verifiedEmail(hat) {
      const doc = await verified.findOne({ _id: String(hat) });
      return doc ? String(doc.email) : '';
    },
    async confirmEmail(hat, email) {
      try {
        await conn.transaction(async (session: ClientSession) => {
          if ((await bump(hat, session, { email: String(email) })) === null) return;
          await verified.replaceOne({ _id: String(hat) }, { hat: String(hat), email: String(email) }, { session, upsert: true });
        }, TRANSACTION_OPTIONS);
      } catch (err) {
        if (isDuplicate(err)) throw new UniqueViolation('email');
        throw err;
      }
    },
  };
}
