import { Schema } from 'mongoose';
import type { KeyRecord, KeyStore } from '../ports.js';
import { translateUnique } from './errors.js';
import { schemaOptions } from './documents.js';
import type { Mongo } from './models.js';
import type { BumpRevision } from './hats.js';

export interface KeyDoc {
  _id: string;
  hat: string;
  publicPem: string;
  privateKeyEnc: string;
  createdAt: Date;
  /** The HAT's revision the key was added at: a per-HAT insertion order for equal createdAt. */
  seq: number;
}

export function keySchema() {
  const key = new Schema<KeyDoc>(
    { _id: String, hat: String, publicPem: String, privateKeyEnc: String, createdAt: Date, seq: Number },
    schemaOptions,
  );
  key.index({ hat: 1, createdAt: -1, seq: -1 });
  return key;
}

function keyFromDoc(d: KeyDoc): KeyRecord {
  return { kid: d._id, hat: d.hat, publicPem: d.publicPem, privateKeyEnc: d.privateKeyEnc, createdAt: new Date(d.createdAt) };
}

/** The document for a key added at the HAT's revision `seq` (a new HAT's first key, or an added one). */
export function keyDoc(key: KeyRecord, seq: number): KeyDoc {
  return {
    _id: String(key.kid),
    hat: String(key.hat),
    publicPem: String(key.publicPem),
    privateKeyEnc: String(key.privateKeyEnc),
    createdAt: new Date(key.createdAt),
    seq,
  };
}

/** A HAT's signing keys. Adding one bumps the HAT's revision in the same transaction. */
export function mongoKeys({ models, transaction }: Mongo, bump: BumpRevision): KeyStore {
  const { keys: Keys } = models;
  return {
    async list(hat) {
      const docs = await Keys.find({ hat: String(hat) }).sort({ createdAt: -1, seq: -1 }).lean<KeyDoc[]>().exec();
      return docs.map(keyFromDoc);
    },
    async add(key) {
      try {
        await transaction(async (session) => {
          const revision = await bump(key.hat, session);
          // SQLite's foreign key refuses a key for a HAT that does not exist; so does this.
          if (revision === null) throw new Error(`Cannot add a key: there is no HAT named ${String(key.hat)}`);
          await Keys.insertMany([keyDoc(key, revision)], { session, lean: true });
        });
      } catch (err) {
        translateUnique(err, 'kid');
      }
    },
  };
}
