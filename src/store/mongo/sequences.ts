import { Schema, type ClientSession } from 'mongoose';
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
 * The same inside a transaction (data records): numbers are then taken in commit order, so that
 * across processes records are ordered as they were stored. `ensure` makes the counter exist
 * first, outside the transaction (an upsert race inside one would abort it); concurrent inserts
 * on one HAT conflict on the counter and are retried by the transaction loop.
 */
export interface ReserveInTransaction {
  ensure(hat: string): Promise<void>;
  reserve(hat: string, n: number, session: ClientSession): Promise<number>;
}

export function sequenceInTransaction({ models }: Mongo): ReserveInTransaction {
  return {
    async ensure(hat) {
      try {
        await models.sequences.updateOne({ _id: String(hat) }, { $setOnInsert: { seq: 0 } }, { upsert: true });
      } catch (err) {
        if (uniqueViolationOf(err, '_id') === null) throw err;
      }
    },
    async reserve(hat, n, session) {
      const doc = await models.sequences
        .findOneAndUpdate({ _id: String(hat) }, { $inc: { seq: n } }, { session, returnDocument: 'after', projection: { seq: 1 } })
        .lean<SequenceDoc>()
        .exec();
      if (!doc) throw new Error('the record sequence of the HAT is missing');
      return doc.seq - n + 1;
    },
  };
}

/**
 * Outside any transaction (activity entries): a gap left by a failed insert is harmless, while
 * a counter written inside transactions would make every concurrent entry on the HAT conflict.
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
