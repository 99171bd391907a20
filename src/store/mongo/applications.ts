import { Schema } from 'mongoose';
import type { ApplicationRecord, ApplicationStore } from '../ports.js';
import { translateUnique } from './errors.js';
import { schemaOptions } from './documents.js';
import type { Mongo } from './models.js';

export interface ApplicationDoc {
  _id: string;
  /** The registration without createdAt, as JSON text: returned exactly as it was given. */
  body: string;
  createdAt: Date;
}

export function applicationSchema() {
  return new Schema<ApplicationDoc>({ _id: String, body: String, createdAt: Date }, schemaOptions);
}

function applicationFromDoc(d: ApplicationDoc): ApplicationRecord {
  const body = JSON.parse(d.body) as Omit<ApplicationRecord, 'createdAt'>;
  return { ...body, createdAt: new Date(d.createdAt) };
}

/** The cluster's application registry. */
export function mongoApplications({ models }: Mongo): ApplicationStore {
  const Applications = models.applications;
  return {
    async create(app) {
      const { createdAt, ...body } = app;
      try {
        await Applications.insertMany([{ _id: String(app.id), body: JSON.stringify(body), createdAt: new Date(createdAt) }], {
          lean: true,
        });
      } catch (err) {
        translateUnique(err, 'id');
      }
    },
    async update(app) {
      const { createdAt: _ignored, ...body } = app;
      const res = await Applications.updateOne({ _id: String(app.id) }, { $set: { body: JSON.stringify(body) } });
      return res.matchedCount > 0;
    },
    async get(id) {
      const doc = await Applications.findOne({ _id: String(id) }).lean<ApplicationDoc>().exec();
      return doc ? applicationFromDoc(doc) : null;
    },
    async list() {
      const docs = await Applications.find({}).sort({ _id: 1 }).lean<ApplicationDoc[]>().exec();
      return docs.map(applicationFromDoc);
    },
    async remove(id) {
      const res = await Applications.deleteOne({ _id: String(id) });
      return res.deletedCount > 0;
    },
  };
}
