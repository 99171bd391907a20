import { Schema, type Connection } from 'mongoose';
import type { OnceStore } from '../ports.js';

interface OnceDoc {
  _id: string;
  expiresAt: Date;
}

/**
 * The OnceStore port on MongoDB: the unique `_id` decides (an insert that meets E11000 lost), and
 * a TTL index removes expired claims. `isDuplicate` is the adapter's reading of E11000.
 */
export async function mongoOnce(
  conn: Connection,
  isDuplicate: (err: unknown) => boolean,
  writeOptions: { writeConcern?: { w: 'majority'; wtimeout?: number } } = {},
): Promise<OnceStore> {
  const schema = new Schema<OnceDoc>({ _id: String, expiresAt: Date }, { versionKey: false, strict: 'throw', id: false });
  schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  const Claims = conn.model<OnceDoc>('OnceClaim', schema, 'once_claims');
  await Claims.init();
  await Claims.createIndexes();
  return {
    async claim(key, expiresAt) {
      try {
        await Claims.insertMany([{ _id: String(key), expiresAt: new Date(expiresAt) }], { lean: true, ...writeOptions });
        return true;
      } catch (err) {
        if (isDuplicate(err)) return false;
        throw err;
      }
    },
  };
}
