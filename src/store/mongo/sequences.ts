import { Schema } from 'mongoose';
import { uniqueViolationOf } from './errors.js';
import { schemaOptions } from './documents.js';
import type { Mongo } from './models.js';

/** Per-HAT insertion counters, for the order of activity entries and data records. */
export interface SequenceDoc {
  _id: string;
  seq: number;
}

export function sequenceSchema() {
  return new Schema<SequenceDoc>({ _id: String, seq: Number }, schemaOptions);
}

/** Reserves `n` consecutive numbers of the HAT's insertion sequence and returns the first. */
export type Reserve = (hat: string, n: number) => Promise<number>;

/**
 * Outside any transaction on purpose: a gap left by a failed insert is harmless, while a counter
 * written inside transactions would make every concurrent insert on the HAT conflict.
 */
export function sequenceReserver({ models }: Mongo): Reserve {
  return async (hat, n) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await models.sequences
          .findOneAndUpdate({ _id: String(hat) }, { $inc: { seq: n } }, { upsert: true, returnDocument: 'after', projection: { seq: 1 } })
          .lean<SequenceDoc>()
          .exec();
        if (!doc) throw new Error('the sequence upsert returned nothing');
        return doc.seq - n + 1;
      } catch (err) {
        // Two first upserts of the same counter can race to insert it; the loser retries once.
        if (attempt === 0 && uniqueViolationOf(err, '_id') !== null) continue;
        throw err;
      }
    }
  };
}
