import { Schema } from 'mongoose';
import type { GrantRecord, GrantStore, Permission } from '../ports.js';
import type { BumpRevision } from './hats.js';
import { maybeDate, schemaOptions } from './documents.js';
import type { Mongo } from './models.js';
import { chunked } from './reliability.js';

/** HATs per transaction when an application's grants are removed. */
const REMOVAL_CHUNK = 500;

export interface GrantDoc {
  hat: string;
  applicationId: string;
  enabled: boolean;
  /** JSON text of the consented permissions. */
  permissions: string;
  version: string;
  tokensNotBefore: number;
  updatedAt: Date;
  lastUsedAt: Date | null;
}

export function grantSchema() {
  const grant = new Schema<GrantDoc>(
    {
      hat: String,
      applicationId: String,
      enabled: Boolean,
      permissions: String,
      version: String,
      tokensNotBefore: Number,
      updatedAt: Date,
      lastUsedAt: Date,
    },
    schemaOptions,
  );
  grant.index({ hat: 1, applicationId: 1 }, { unique: true });
  grant.index({ applicationId: 1 });
  return grant;
}

function grantFromDoc(d: GrantDoc): GrantRecord {
  return {
    hat: d.hat,
    applicationId: d.applicationId,
    enabled: d.enabled === true,
    permissions: JSON.parse(d.permissions) as Permission[],
    version: d.version,
    tokensNotBefore: Number(d.tokensNotBefore),
    updatedAt: new Date(d.updatedAt),
    lastUsedAt: maybeDate(d.lastUsedAt),
  };
}

/** An application's status on each HAT. Every change but `touch` bumps the HAT's revision with it. */
export function mongoGrants({ models, transaction }: Mongo, bump: BumpRevision): GrantStore {
  const { grants: Grants, hats: Hats } = models;
  return {
    async get(hat, applicationId) {
      const doc = await Grants.findOne({ hat: String(hat), applicationId: String(applicationId) })
        .lean<GrantDoc>()
        .exec();
      return doc ? grantFromDoc(doc) : null;
    },
    async list(hat) {
      const docs = await Grants.find({ hat: String(hat) }).sort({ applicationId: 1 }).lean<GrantDoc[]>().exec();
      return docs.map(grantFromDoc);
    },
    async put(g) {
      await transaction(async (session) => {
        await Grants.updateOne(
          { hat: String(g.hat), applicationId: String(g.applicationId) },
          {
            $set: {
              enabled: g.enabled === true,
              permissions: JSON.stringify(g.permissions),
              version: String(g.version),
              updatedAt: new Date(g.updatedAt),
              lastUsedAt: g.lastUsedAt ? new Date(g.lastUsedAt) : null,
            },
            // Never lowered: a concurrent disable's stamp survives this write (SPEC 10).
            $max: { tokensNotBefore: Number(g.tokensNotBefore) },
          },
          { upsert: true, session },
        );
        await bump(g.hat, session);
      });
    },
    async touch(hat, applicationId, at) {
      await Grants.updateOne({ hat: String(hat), applicationId: String(applicationId) }, { $set: { lastUsedAt: new Date(at) } });
    },
    async removeForApplication(applicationId) {
      // In chunks of HATs, each one transaction (their grants go and their revisions are bumped
      // together): one transaction over every HAT would outgrow a transaction's limits and time
      // on a large cluster. A removal stopped half-way can simply be repeated.
      const app = String(applicationId);
      const hats = ((await Grants.distinct('hat', { applicationId: app }).exec()) as unknown[]).map(String);
      let removed = 0;
      for (const chunk of chunked(hats, REMOVAL_CHUNK)) {
        removed += await transaction(async (session) => {
          await Hats.updateMany({ _id: { $in: chunk } }, { $inc: { revision: 1 } }, { session });
          const res = await Grants.deleteMany({ applicationId: app, hat: { $in: chunk } }, { session });
          return res.deletedCount;
        });
      }
      return removed;
    },
  };
}
