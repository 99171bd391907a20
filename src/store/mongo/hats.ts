import { Schema, type ClientSession } from 'mongoose';
import type { HatRecord, HatStore } from '../ports.js';
import { translateUnique } from './errors.js';
import { keyDoc } from './keys.js';
import { schemaOptions } from './documents.js';
import type { Mongo } from './models.js';

export interface HatDoc {
  _id: string;
  ownerId: string;
  email: string;
  fullName: string;
  passwordHash: string;
  disabled: boolean;
  tokensNotBefore: number;
  revision: number;
  createdAt: Date;
}

export function hatSchema() {
  const hat = new Schema<HatDoc>(
    {
      _id: String,
      ownerId: String,
      email: String,
      fullName: String,
      passwordHash: String,
      disabled: Boolean,
      tokensNotBefore: Number,
      revision: Number,
      createdAt: Date,
    },
    schemaOptions,
  );
  hat.index({ ownerId: 1 }, { unique: true });
  hat.index({ email: 1 }, { unique: true });
  return hat;
}

/**
 * Bumps a HAT's revision inside the caller's transaction (grants, approvals, keys, key rotation,
 * an operator's deletion, a confirmed email), writing `set` in the same update; resolves to the
 * new revision, or null when there is no such HAT.
 */
export type BumpRevision = (hat: string, session: ClientSession, set?: Partial<Pick<HatDoc, 'disabled' | 'email'>>) => Promise<number | null>;

/**
 * Every write that changes what a token or session may do bumps this, in its own transaction:
 * the one update for it, shared by every aggregate that writes such a change.
 */
export function revisionBump({ models }: Mongo): BumpRevision {
  return async (hat, session, set = {}) => {
    const bumped = await models.hats
      .findOneAndUpdate(
        { _id: String(hat) },
        { $inc: { revision: 1 }, ...(Object.keys(set).length ? { $set: set } : {}) },
        { session, returnDocument: 'after', projection: { revision: 1 } },
      )
      .lean<Pick<HatDoc, 'revision'>>()
      .exec();
    return bumped ? Number(bumped.revision) : null;
  };
}

function hatFromDoc(d: HatDoc): HatRecord {
  return {
    name: d._id,
    ownerId: d.ownerId,
    email: d.email,
    fullName: d.fullName,
    passwordHash: d.passwordHash,
    disabled: d.disabled === true,
    tokensNotBefore: Number(d.tokensNotBefore),
    revision: Number(d.revision),
    createdAt: new Date(d.createdAt),
  };
}

function hatDoc(hat: HatRecord): HatDoc {
  return {
    _id: String(hat.name),
    ownerId: String(hat.ownerId),
    email: String(hat.email),
    fullName: String(hat.fullName),
    passwordHash: String(hat.passwordHash),
    disabled: hat.disabled === true,
    tokensNotBefore: Number(hat.tokensNotBefore),
    revision: Number(hat.revision),
    createdAt: new Date(hat.createdAt),
  };
}

/**
 * The HAT aggregate: the HAT's own document, and what is written with it atomically: at creation
 * its first key; at a password change that ends service tokens, the stamps of its grants and approvals.
 */
export function mongoHats({ models, transaction }: Mongo): HatStore {
  const { hats: Hats, keys: Keys, grants: Grants, approvals: Approvals } = models;
  return {
    async create(hat, key) {
      try {
        await transaction(async (session) => {
          await Hats.insertMany([hatDoc(hat)], { session, lean: true });
          await Keys.insertMany([keyDoc(key, Number(hat.revision))], { session, lean: true });
        });
      } catch (err) {
        translateUnique(err, 'name');
      }
    },
    async find(name) {
      const doc = await Hats.findOne({ _id: String(name) }).lean<HatDoc>().exec();
      return doc ? hatFromDoc(doc) : null;
    },
    async findByEmail(email) {
      const doc = await Hats.findOne({ email: String(email) }).lean<HatDoc>().exec();
      return doc ? hatFromDoc(doc) : null;
    },
    async revision(name) {
      const doc = await Hats.findOne({ _id: String(name) }, { revision: 1 }).lean<Pick<HatDoc, 'revision'>>().exec();
      return doc ? Number(doc.revision) : null;
    },
    async setPassword(name, passwordHash, tokensNotBefore, endServiceTokens = false) {
      // $max: a stamp is never lowered, whatever a concurrent writer set (SPEC 10).
      const stamp = { tokensNotBefore: Number(tokensNotBefore) };
      await transaction(async (session) => {
        await Hats.updateOne(
          { _id: String(name) },
          { $set: { passwordHash: String(passwordHash) }, $max: stamp, $inc: { revision: 1 } },
          { session },
        );
        if (!endServiceTokens) return;
        await Grants.updateMany({ hat: String(name) }, { $max: stamp }, { session });
        await Approvals.updateMany({ hat: String(name) }, { $max: stamp }, { session });
      });
    },
    async replacePasswordHash(name, expected, passwordHash) {
      const res = await Hats.updateOne(
        { _id: String(name), passwordHash: String(expected) },
        { $set: { passwordHash: String(passwordHash) } },
      );
      return res.modifiedCount > 0;
    },
    async setDisabled(name, disabled) {
      await Hats.updateOne({ _id: String(name) }, { $set: { disabled: disabled === true }, $inc: { revision: 1 } });
    },
    async count() {
      return Hats.countDocuments({});
    },
  };
}
