import { Schema, type ClientSession, type Connection } from 'mongoose';
import type { HatAdminStore, HatCounts, KeyRecord, KeyRotationStore } from '../ports.js';
import type { BumpRevision } from './hats.js';

/**
 * Key rotation (SPEC 4) and the operator's HAT listing and deletion (SPEC 9) in MongoDB. Filters
 * are built from String()/Date values only, as everywhere in this adapter.
 */
export interface OperatorDeps {
  conn: Connection;
  transaction: <T>(fn: (session: ClientSession) => Promise<T>) => Promise<T>;
  /** Inserts the key document exactly as the keys port does (its `seq` is the HAT's revision). */
  insertKey: (key: KeyRecord, seq: number, session: ClientSession) => Promise<unknown>;
  /** The hats aggregate's revision bump (hats.ts). */
  bump: BumpRevision;
}

interface RetirementDoc {
  _id: string;
  hat: string;
  retireAt: Date;
  revoked: boolean;
}
interface ReservedNameDoc {
  _id: string;
  until: Date;
}

const schemaOptions = { versionKey: false, strict: 'throw', strictQuery: 'throw', id: false } as const;

/** Collections that never hold a HAT's own documents by a `hat` field. */
const NOT_BY_HAT = new Set(['hats', 'reserved_names', 'applications', 'sequences']);
const COUNTED: Record<keyof HatCounts, string> = {
  records: 'records',
  grants: 'grants',
  approvals: 'approvals',
  sessions: 'sessions',
  activity: 'activity',
};

export async function mongoOperatorStores({ conn, transaction, insertKey, bump }: OperatorDeps): Promise<{
  keyRotation: KeyRotationStore;
  hatAdmin: HatAdminStore;
}> {
  const retirement = new Schema<RetirementDoc>({ _id: String, hat: String, retireAt: Date, revoked: Boolean }, schemaOptions);
  retirement.index({ hat: 1 });
  const reserved = new Schema<ReservedNameDoc>({ _id: String, until: Date }, schemaOptions);
  // MongoDB forgets a reservation by itself once it has run out; reads ignore it meanwhile.
  reserved.index({ until: 1 }, { expireAfterSeconds: 0 });
  const Retirements = conn.model<RetirementDoc>('KeyRetirement', retirement, 'key_retirements');
  const Reserved = conn.model<ReservedNameDoc>('ReservedName', reserved, 'reserved_names');
  for (const model of [Retirements, Reserved]) {
    await model.init();
    await model.createIndexes();
  }
  const hats = () => conn.collection('hats');

  /** Every document of the HAT in every collection that keeps a `hat` field, whoever added it. */
  const removeHeld = async (name: string) => {
    const db = conn.db;
    if (!db) throw new Error('The MongoDB connection is closed');
    for (const { name: collection } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      if (!NOT_BY_HAT.has(collection) && !collection.startsWith('system.')) await db.collection(collection).deleteMany({ hat: name });
    }
  };

  const keyRotation: KeyRotationStore = {
    async rotate(key, { retireAt, revoke }) {
      return transaction(async (session) => {
        const revision = await bump(key.hat, session);
        if (revision === null) return false;
        const kids = await conn.collection('keys').find({ hat: String(key.hat) }, { session, projection: { _id: 1 } }).toArray();
        if (kids.length > 0) {
          await Retirements.bulkWrite(
            kids.map((k) => ({
              updateOne: {
                filter: { _id: String(k._id) },
                update: { $setOnInsert: { hat: String(key.hat) }, $min: { retireAt: new Date(retireAt) }, $max: { revoked: revoke === true } },
                upsert: true,
              },
            })),
            { session },
          );
        }
        await insertKey(key, revision, session);
        return true;
      });
    },
    async retirements(hat) {
      const docs = await Retirements.find({ hat: String(hat) }).lean<RetirementDoc[]>().exec();
      return docs.map((d) => ({ kid: d._id, hat: d.hat, retireAt: new Date(d.retireAt), revoked: d.revoked === true }));
    },
  };

  const hatAdmin: HatAdminStore = {
    async names({ skip, take }) {
      const docs = await hats().find({}, { projection: { _id: 1 } }).sort({ _id: 1 }).skip(Number(skip)).limit(Number(take)).toArray();
      return docs.map((d) => String(d._id));
    },
    async counts(hat) {
      const entries = await Promise.all(
        Object.entries(COUNTED).map(async ([k, collection]) => [k, await conn.collection(collection).countDocuments({ hat: String(hat) })]),
      );
      return Object.fromEntries(entries) as HatCounts;
    },
    /**
     * In three steps, because a HAT's records can outgrow one transaction: first, atomically, the
     * name is reserved and the HAT disabled (nothing of it answers from then on); then every
     * collection's documents of the HAT go; last the HAT itself. Interrupted, the HAT stays
     * disabled and reserved, and deleting it again finishes the work.
     */
    async remove(hat, reservedUntil) {
      const name = String(hat);
      const existed = await transaction(async (session) => {
        if ((await bump(name, session, { disabled: true })) === null) return false;
        await Reserved.updateOne({ _id: name }, { $max: { until: new Date(reservedUntil) } }, { upsert: true, session });
        return true;
      });
      if (!existed) return false;
      await removeHeld(name);
      await hats().deleteOne({ _id: name as never });
      return true;
    },
    async clearLeftovers(hat) {
      if (await hats().findOne({ _id: String(hat) as never }, { projection: { _id: 1 } })) return;
      await removeHeld(String(hat));
    },
    async reservedUntil(name) {
      const doc = await Reserved.findOne({ _id: String(name), until: { $gt: new Date() } }).lean<ReservedNameDoc>().exec();
      return doc ? new Date(doc.until) : null;
    },
  };
  return { keyRotation, hatAdmin };
}
