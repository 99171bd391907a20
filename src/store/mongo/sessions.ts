import { Schema } from 'mongoose';
import type { SessionStore } from '../ports.js';
import { schemaOptions } from './documents.js';
import type { Mongo } from './models.js';

export interface SessionDoc {
  _id: string;
  hat: string;
  /** JSON text, like record data: session contents never become field paths. */
  data: string;
  expiresAt: Date;
}

export function sessionSchema() {
  const session = new Schema<SessionDoc>({ _id: String, hat: String, data: String, expiresAt: Date }, schemaOptions);
  // MongoDB removes expired sessions by itself (within a minute or so); `get` ignores them meanwhile.
  session.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  session.index({ hat: 1 });
  return session;
}

/** Browser sessions; expired ones are never returned. */
export function mongoSessions({ models }: Mongo): SessionStore {
  const Sessions = models.sessions;
  return {
    async get(id) {
      const doc = await Sessions.findOne({ _id: String(id), expiresAt: { $gt: new Date() } })
        .lean<SessionDoc>()
        .exec();
      if (!doc) return null;
      return {
        id: doc._id,
        hat: doc.hat,
        data: JSON.parse(doc.data) as Record<string, unknown>,
        expiresAt: new Date(doc.expiresAt),
      };
    },
    async set(session) {
      await Sessions.updateOne(
        { _id: String(session.id) },
        { $set: { hat: String(session.hat), data: JSON.stringify(session.data), expiresAt: new Date(session.expiresAt) } },
        { upsert: true },
      );
    },
    async destroy(id) {
      await Sessions.deleteOne({ _id: String(id) });
    },
    async destroyForHat(hat) {
      const res = await Sessions.deleteMany({ hat: String(hat) });
      return res.deletedCount;
    },
  };
}
