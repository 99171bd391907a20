import { dropMongoDatabase } from '../../support/mongo.js';
import { openMongoStore } from '../../../src/store/mongo/index.js';
import { concurrencyContract } from './concurrency-contract.js';

/**
 * The multi-process contract against a real replica set, two clients on one database:
 *   MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0 npx tsx --test test/unit/store/mongo-concurrency.test.ts
 */
const uri = process.env.MONGODB_URI;
if (!uri) console.log('mongo-concurrency: SKIPPED — MONGODB_URI is not set; two MongoDB clients were not raced');

concurrencyContract(
  'two MongoDB stores on one database keep the multi-process contract (SPEC 10)',
  async () => {
    const mongoUri = uri as string;
    const dbName = `hat_twins_${Date.now().toString(36)}_${process.pid}`;
    const a = await openMongoStore(mongoUri, { dbName });
    const b = await openMongoStore(mongoUri, { dbName });
    return {
      a,
      b,
      async cleanup() {
        await a.close();
        await b.close();
        await dropMongoDatabase(mongoUri, dbName);
      },
    };
  },
  uri ? {} : { skip: 'MONGODB_URI is not set' },
);
