import { Schema } from 'mongoose';
import type { SessionRecord, SessionStore } from '../ports.js';
import { schemaOptions } from './documents.js';
import type { Mongo } from './models.js';

export interface SessionDoc {
  _id: string;
  hat: string;
  /** JSON text, like record data: session contents never become field paths. */
  data: string;
  expiresAt: Date;
  /** What the owner's list of sessions shows (SPEC 7); absent on sessions saved before it. */
  userAgent?: string;
  loggedInAt?: Date | null;
  lastSeenAt?: Date;
}

export function sessionSchema() {
  const session = new Schema<SessionDoc>(
    { _id: String, hat: String, data: String, expiresAt: Date, userAgent: String, loggedInAt: Date, lastSeenAt: Date },
    schemaOptions,
  );
  // MongoDB removes expired sessions by itself (within a minute or so); `get` ignores them meanwhile.
  session.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  session.index({ hat: 1 });
  return session;
}

/** The fields of a write, from String()/Date values only (never a caller's object). */
function fields(s: SessionRecord) {
  return {
    hat: String(s.hat),
    data: JSON.stringify(s.data),
    expiresAt: new Date(s.expiresAt),
    userAgent: String(s.userAgent ?? ''),
    loggedInAt: s.loggedInAt ? new Date(s.loggedInAt) : null,
    lastSeenAt: new Date(s.lastSeenAt ?? Date.now()),
  };
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
      await Sessions.updateOne({ _id: String(session.id) }, { $set: fields(session) }, { upsert: true });
    },
    async update(session) {
      const res = await Sessions.updateOne({ _id: String(session.id) }, { $set: fields(session) });
      return res.matchedCount > 0;
    },
    async destroy(id) {
      await Sessions.deleteOne({ _id: String(id) });
    },
    async destroyForHat(hat) {
      const res = await Sessions.deleteMany({ hat: String(hat) });
      return res.deletedCount;
    },
    async listLoggedIn(hat) {
      const docs = await Sessions.find({ hat: String(hat), expiresAt: { $gt: new Date() }, loggedInAt: { $ne: null } })
        .sort({ lastSeenAt: -1, _id: 1 })
        .lean<SessionDoc[]>()
        .exec();
      return docs.map((d) => ({
        id: d._id,
        userAgent: String(d.userAgent ?? ''),
        loggedInAt: new Date(d.loggedInAt!),
        lastSeenAt: new Date(d.lastSeenAt ?? 0),
        expiresAt: new Date(d.expiresAt),
      }));
    },
  };
}
