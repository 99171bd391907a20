import { Schema } from 'mongoose';
import type { DataRecord, ReadOptions, RecordStore } from '../ports.js';
import { byValue, compareText, sortByValue, sortValueAt, type SortValue } from '../ordering.js';
import { groupByNamespace } from '../sources.js';
import { translateUnique } from './errors.js';
import { page, schemaOptions } from './documents.js';
import type { Models, Mongo } from './models.js';
import type { ReserveInTransaction } from './sequences.js';
import { Gate, ORDERED_READ_MAX_MS, TopK } from './reliability.js';

export interface RecordDoc {
  _id: string;
  hat: string;
  endpoint: string;
  json: string;
  createdAt: Date;
  seq: number;
}

export function recordSchema() {
  const record = new Schema<RecordDoc>(
    { _id: String, hat: String, endpoint: String, json: String, createdAt: Date, seq: Number },
    schemaOptions,
  );
  record.index({ hat: 1, endpoint: 1, seq: 1 });
  return record;
}

/** Thrown inside a transaction to abort it: a record to update is not there. */
class MissingRecord extends Error {}

function recordFromDoc(d: Pick<RecordDoc, '_id' | 'endpoint' | 'json' | 'createdAt'>): DataRecord {
  return { recordId: d._id, endpoint: d.endpoint, json: d.json, createdAt: new Date(d.createdAt) };
}

/** Ordered reads scan an endpoint: a few at a time per process, each within a time budget. */
const orderedReads = new Gate(2);

type Keyed = { id: string; value: SortValue; seq: number };

/**
 * A page of an endpoint ordered by a field of the data. The data is text to MongoDB, so the sort
 * happens here: one pass over the endpoint (under maxTimeMS) that keeps only the first
 * skip+take (id, sort value, seq) in a bounded heap, then the page itself is fetched by id.
 */
async function readOrdered(
  Records: Models['records'],
  filter: { hat: string; endpoint: string },
  o: ReadOptions & { orderBy: string },
  start: number,
  count: number | null,
): Promise<DataRecord[]> {
  const path = String(o.orderBy);
  const keyed = await orderedReads.run(async () => {
    const top = count === null ? null : new TopK<Keyed>(start + count, byValue(o.ordering));
    const all: Keyed[] = [];
    const cursor = Records.find(filter, { json: 1, seq: 1 })
      .maxTimeMS(ORDERED_READ_MAX_MS)
      .lean<Pick<RecordDoc, '_id' | 'json' | 'seq'>>()
      .cursor({ batchSize: 1000 });
    for await (const doc of cursor) {
      const d = doc as Pick<RecordDoc, '_id' | 'json' | 'seq'>;
      const item = { id: d._id, value: sortValueAt(d.json, path), seq: Number(d.seq) };
      if (top) top.push(item);
      else all.push(item);
    }
    return top ? top.sorted() : sortByValue(all, o.ordering);
  });
  const wanted = keyed.slice(start, count === null ? undefined : start + count).map((k) => k.id);
  if (wanted.length === 0) return [];
  const docs = await Records.find({ ...filter, _id: { $in: wanted } }).lean<RecordDoc[]>().exec();
  const byId = new Map(docs.map((d) => [d._id, d]));
  // A record removed between the two reads is simply left out.
  return wanted.flatMap((id) => {
    const d = byId.get(id);
    return d ? [recordFromDoc(d)] : [];
  });
}

/**
 * The data API's records (SPEC 8), in the order each endpoint received them (the HAT's insertion
 * sequence). The JSON is stored as text, so nothing inside it can reach MongoDB as an operator or a path.
 */
export function mongoRecords({ models, transaction }: Mongo, sequence: ReserveInTransaction): RecordStore {
  const Records = models.records;
  return {
    async insert(hat, records) {
      if (records.length === 0) return;
      await sequence.ensure(hat);
      try {
        // Numbered inside the insert's transaction: records are ordered as their inserts commit.
        await transaction(async (session) => {
          const first = await sequence.reserve(hat, records.length, session);
          const docs: RecordDoc[] = records.map((r, i) => ({
            _id: String(r.recordId),
            hat: String(hat),
            endpoint: String(r.endpoint),
            json: String(r.json),
            createdAt: new Date(r.createdAt),
            seq: first + i,
          }));
          await Records.insertMany(docs, { session, lean: true, ordered: true });
        });
      } catch (err) {
        translateUnique(err, 'recordId');
      }
    },
    async read(hat, endpoint, o) {
      const { start, count } = page(o.skip, o.take);
      if (count === 0) return [];
      const filter = { hat: String(hat), endpoint: String(endpoint) };
      if (o.orderBy) return readOrdered(Records, filter, { ...o, orderBy: o.orderBy }, start, count);
      const query = Records.find(filter)
        .sort({ seq: o.ordering === 'descending' ? -1 : 1 })
        .skip(start);
      if (count !== null) query.limit(count);
      return (await query.lean<RecordDoc[]>().exec()).map(recordFromDoc);
    },
    async clear(hat, endpoint) {
      // One statement, outside a transaction: a large endpoint would outgrow the transaction
      // limits, and a clear that stops half-way can simply be repeated.
      const res = await Records.deleteMany({ hat: String(hat), endpoint: String(endpoint) });
      return res.deletedCount;
    },
    async get(hat, recordIds) {
      if (recordIds.length === 0) return [];
      const docs = await Records.find({ hat: String(hat), _id: { $in: recordIds.map(String) } })
        .sort({ seq: 1 })
        .lean<RecordDoc[]>()
        .exec();
      return docs.map(recordFromDoc);
    },
    async remove(hat, recordIds) {
      if (recordIds.length === 0) return 0;
      return transaction(async (session) => {
        const res = await Records.deleteMany({ hat: String(hat), _id: { $in: recordIds.map(String) } }, { session });
        return res.deletedCount;
      });
    },
    async update(hat, changes) {
      if (changes.length === 0) return true;
      const writes = changes.map((c) => ({
        updateOne: { filter: { _id: String(c.recordId), hat: String(hat) }, update: { $set: { json: String(c.json) } } },
      }));
      try {
        await transaction(async (session) => {
          const res = await Records.bulkWrite(writes, { session, ordered: true });
          // All or nothing: one record that is not this HAT's aborts the transaction.
          if (res.matchedCount !== changes.length) throw new MissingRecord();
        });
        return true;
      } catch (err) {
        if (err instanceof MissingRecord) return false;
        throw err;
      }
    },
    async sources(hat) {
      const endpoints = (await Records.distinct('endpoint', { hat: String(hat) }).exec()) as unknown[];
      return groupByNamespace(endpoints.map(String).sort(compareText));
    },
  };
}
