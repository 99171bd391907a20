import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mongoose from 'mongoose';
import { UniqueViolation } from '../../src/errors.js';
import { dropMongoDatabase } from '../support/mongo.js';
import { openMongoStore, uniqueViolationOf } from '../../src/store/mongo/index.js';
import { storeContract } from './store-contract.js';

/**
 * The MongoDB adapter. The contract runs against a real server when MONGODB_URI names one (a
 * replica set: the adapter needs transactions), in a database of its own that is dropped after:
 *   MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0 npm run test:unit
 * Without it the contract is skipped, and says so; what needs no server runs either way.
 */
const uri = process.env.MONGODB_URI;
// The driver, as mongoose ships it (not a dependency of its own).
const { MongoBulkWriteError, MongoServerError } = mongoose.mongo;

describe('opening the MongoDB store', () => {
  it('rejects with an error naming the address when no server answers', async () => {
    await assert.rejects(
      openMongoStore('mongodb://127.0.0.1:1/hat', { serverSelectionTimeoutMS: 500 }),
      /^Error: Cannot open the MongoDB store at mongodb:\/\/127\.0\.0\.1:1\/hat: /,
    );
  });

  it('keeps the password of the address out of its error', async () => {
    await assert.rejects(openMongoStore('mongodb://hat:s3cret@127.0.0.1:1/hat', { serverSelectionTimeoutMS: 500 }), (err: Error) => {
      assert.match(err.message, /mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/hat/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  });
});

describe('reading a duplicate-key error as UniqueViolation', () => {
  const duplicate = (collection: string, index: string, key: Record<string, unknown>) => ({
    code: 11000,
    errmsg: `E11000 duplicate key error collection: hat.${collection} index: ${index} dup key: ${JSON.stringify(key)}`,
    keyPattern: Object.fromEntries(Object.keys(key).map((k) => [k, 1])),
    keyValue: key,
  });

  it('names the field of a unique index from keyPattern', () => {
    const err = new MongoServerError(duplicate('hats', 'email_1', { email: 'a@example.com' }));
    assert.deepEqual(uniqueViolationOf(err, 'name'), new UniqueViolation('email'));
    assert.equal(uniqueViolationOf(new MongoServerError(duplicate('hats', 'ownerId_1', { ownerId: 'u' })), 'name')?.field, 'ownerId');
  });

  it('names _id as the port names it in that collection', () => {
    const cases: Array<[string, string]> = [
      ['hats', 'name'],
      ['keys', 'kid'],
      ['applications', 'id'],
      ['records', 'recordId'],
    ];
    for (const [collection, field] of cases) {
      assert.equal(uniqueViolationOf(new MongoServerError(duplicate(collection, '_id_', { _id: 'x' })), 'fallback')?.field, field);
    }
  });

  it('finds it on the first write error of a bulk insert', () => {
    const writeError = { index: 2, ...duplicate('records', '_id_', { _id: 'r1' }) };
    const err = new MongoBulkWriteError(
      { message: writeError.errmsg, code: 11000, writeErrors: [{ err: writeError, index: 2, code: 11000 }] as never },
      { insertedCount: 0 } as never,
    );
    assert.equal(uniqueViolationOf(err, 'fallback')?.field, 'recordId');
  });

  it('falls back to the message when the error carries no key pattern', () => {
    const err = new MongoServerError({
      code: 11000,
      errmsg: 'E11000 duplicate key error collection: hat.hats index: email_1 dup key: { email: "a@example.com" }',
    });
    assert.equal(uniqueViolationOf(err, 'name')?.field, 'email');
  });

  it('leaves every other error alone', () => {
    assert.equal(uniqueViolationOf(new MongoServerError({ code: 112, errmsg: 'WriteConflict' }), 'name'), null);
    assert.equal(uniqueViolationOf(new Error('E11000 lookalike'), 'name'), null);
    assert.equal(uniqueViolationOf(null, 'name'), null);
  });
});

if (!uri) console.log('store-mongo: SKIPPED — MONGODB_URI is not set; the MongoDB adapter was not exercised against a server');

storeContract(
  'the MongoDB store keeps the store contract (SPEC 10)',
  async () => {
    const mongoUri = uri as string;
    const dbName = `hat_contract_${Date.now().toString(36)}_${process.pid}`;
    const store = await openMongoStore(mongoUri, { dbName });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropMongoDatabase(mongoUri, dbName);
      },
    };
  },
  uri ? {} : { skip: 'MONGODB_URI is not set' },
);
