import { Schema } from 'mongoose';
import type { ApprovalRecord, ApprovalStore } from '../ports.js';
import type { BumpRevision } from './hats.js';
import { maybeDate, schemaOptions } from './documents.js';
import type { Mongo } from './models.js';

export interface ApprovalDoc {
  _id: string;
  hat: string;
  name: string;
  origin: string;
  tokensNotBefore: number;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export function approvalSchema() {
  const approval = new Schema<ApprovalDoc>(
    { _id: String, hat: String, name: String, origin: String, tokensNotBefore: Number, createdAt: Date, lastUsedAt: Date },
    schemaOptions,
  );
  approval.index({ hat: 1, name: 1, origin: 1 }, { unique: true });
  approval.index({ hat: 1, createdAt: -1 });
  return approval;
}

function approvalFromDoc(d: ApprovalDoc): ApprovalRecord {
  return {
    id: d._id,
    hat: d.hat,
    name: d.name,
    origin: d.origin,
    tokensNotBefore: Number(d.tokensNotBefore),
    createdAt: new Date(d.createdAt),
    lastUsedAt: maybeDate(d.lastUsedAt),
  };
}

/** The generic services each HAT's owner approved. Every change but `touch` bumps the HAT's revision with it. */
export function mongoApprovals({ models, transaction }: Mongo, bump: BumpRevision): ApprovalStore {
  const Approvals = models.approvals;
  return {
    async find(hat, name, origin) {
      const doc = await Approvals.findOne({ hat: String(hat), name: String(name), origin: String(origin) })
        .lean<ApprovalDoc>()
        .exec();
      return doc ? approvalFromDoc(doc) : null;
    },
    async get(hat, id) {
      const doc = await Approvals.findOne({ _id: String(id), hat: String(hat) }).lean<ApprovalDoc>().exec();
      return doc ? approvalFromDoc(doc) : null;
    },
    async list(hat) {
      const docs = await Approvals.find({ hat: String(hat) }).sort({ createdAt: -1 }).lean<ApprovalDoc[]>().exec();
      return docs.map(approvalFromDoc);
    },
    async put(a) {
      // As SQLite's ON CONFLICT(hat, name, origin): an existing approval keeps its id.
      await transaction(async (session) => {
        await Approvals.updateOne(
          { hat: String(a.hat), name: String(a.name), origin: String(a.origin) },
          {
            $max: { tokensNotBefore: Number(a.tokensNotBefore) },
            $set: {
              createdAt: new Date(a.createdAt),
              lastUsedAt: a.lastUsedAt ? new Date(a.lastUsedAt) : null,
            },
            $setOnInsert: { _id: String(a.id) },
          },
          { upsert: true, session },
        );
        await bump(a.hat, session);
      });
    },
    async remove(hat, id) {
      return transaction(async (session) => {
        const res = await Approvals.deleteOne({ _id: String(id), hat: String(hat) }, { session });
        if (res.deletedCount === 0) return false;
        await bump(hat, session);
        return true;
      });
    },
    async touch(hat, id, at) {
      await Approvals.updateOne({ _id: String(id), hat: String(hat) }, { $set: { lastUsedAt: new Date(at) } });
    },
  };
}
