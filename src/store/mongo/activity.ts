import { Schema } from 'mongoose';
import type { ActivityEntry, ActivityStore } from '../ports.js';
import { page, schemaOptions } from './documents.js';
import type { Mongo } from './models.js';
import type { Reserve } from './sequences.js';

export interface ActivityDoc {
  _id: string;
  hat: string;
  seq: number;
  at: Date;
  type: string;
  via: string;
  service?: string;
  redirectHost?: string;
  clientIp?: string;
  detail?: string;
}

export function activitySchema() {
  const activity = new Schema<ActivityDoc>(
    {
      _id: String,
      hat: String,
      seq: Number,
      at: Date,
      type: String,
      via: String,
      service: String,
      redirectHost: String,
      clientIp: String,
      detail: String,
    },
    schemaOptions,
  );
  activity.index({ hat: 1, seq: -1 });
  return activity;
}

function activityFromDoc(d: ActivityDoc): ActivityEntry {
  const entry: ActivityEntry = { id: d._id, hat: d.hat, at: new Date(d.at), type: d.type as ActivityEntry['type'], via: d.via };
  if (d.service != null) entry.service = d.service;
  if (d.redirectHost != null) entry.redirectHost = d.redirectHost;
  if (d.clientIp != null) entry.clientIp = d.clientIp;
  if (d.detail != null) entry.detail = d.detail;
  return entry;
}

/** A HAT's activity log, newest first in the order it was written (the HAT's insertion sequence). */
export function mongoActivity({ models }: Mongo, reserve: Reserve): ActivityStore {
  const Activities = models.activity;
  return {
    async append(e) {
      const seq = await reserve(e.hat, 1);
      const doc: ActivityDoc = {
        _id: String(e.id),
        hat: String(e.hat),
        seq,
        at: new Date(e.at),
        type: String(e.type),
        via: String(e.via),
      };
      if (e.service !== undefined) doc.service = String(e.service);
      if (e.redirectHost !== undefined) doc.redirectHost = String(e.redirectHost);
      if (e.clientIp !== undefined) doc.clientIp = String(e.clientIp);
      if (e.detail !== undefined) doc.detail = String(e.detail);
      await Activities.insertMany([doc], { lean: true });
    },
    async list(hat, { skip, take }) {
      const { start, count } = page(skip, take);
      if (count === 0) return [];
      const query = Activities.find({ hat: String(hat) }).sort({ seq: -1 }).skip(start);
      if (count !== null) query.limit(count);
      return (await query.lean<ActivityDoc[]>().exec()).map(activityFromDoc);
    },
    async count(hat) {
      return Activities.countDocuments({ hat: String(hat) });
    },
  };
}
