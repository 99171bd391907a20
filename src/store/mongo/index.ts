import { answeringOrUnavailable } from '../guard.js';
import type { Store } from '../ports.js';
import { mongoActivity } from './activity.js';
import { mongoApplications } from './applications.js';
import { mongoApprovals } from './approvals.js';
import { mongoAttempts } from './attempts.js';
import { connect, preparing, transactionsOn, type MongoStoreOptions } from './connection.js';
import { mongoUnavailable, uniqueViolationOf } from './errors.js';
import { mongoGrants } from './grants.js';
import { mongoHats, revisionBump } from './hats.js';
import { keyDoc, mongoKeys } from './keys.js';
import { openModels, type Mongo } from './models.js';
import { openMongoOidc } from './oidc.js';
import { mongoOnce } from './once.js';
import { mongoOperatorStores } from './operator.js';
import { mongoRecords } from './records.js';
import { mongoResets } from './resets.js';
import { sequenceInTransaction, sequenceReserver } from './sequences.js';
import { mongoSessions } from './sessions.js';

export type { MongoStoreOptions } from './connection.js';
export { uniqueViolationOf } from './errors.js';

/**
 * The MongoDB adapter, for several server processes sharing one database: one module per
 * aggregate, each defining its documents' schema. It behaves exactly as the SQLite adapter does;
 * `test/http/store-contract.ts` holds both to that.
 *
 * Needs a replica set (a single-node one will do) or a sharded cluster: every write that touches
 * two collections (a HAT and its first key; a grant, approval or key and the HAT's `revision`;
 * a batch of records) runs in a multi-document transaction, which a standalone mongod refuses.
 * `connect` checks this at start-up and says so, rather than failing at the first sign-up.
 *
 * Injection: every filter is built from values cast with String()/Number()/Date, never from a
 * caller's object, so no caller value can become an operator. Record data and session data are
 * stored as JSON *text*, so keys like `$where`, `__proto__` or `a.b` inside them never reach
 * MongoDB as operators or paths, and come back byte for byte. The price: ordering by a field of
 * the data cannot be done by the database; `read` does it in memory (see ordering.ts).
 */
export async function openMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<Store> {
  const conn = await connect(uri, options);
  const mongo: Mongo = { conn, models: await openModels(conn), transaction: transactionsOn(conn) };
  const bump = revisionBump(mongo);
  const reserve = sequenceReserver(mongo);
  const once = await preparing(conn, () => mongoOnce(conn, (err) => uniqueViolationOf(err, 'id') !== null));
  const oidc = await preparing(conn, () => openMongoOidc(conn));
  const resets = await preparing(conn, () => mongoResets(conn, bump));
  const operator = await preparing(conn, () =>
    mongoOperatorStores({
      conn,
      transaction: mongo.transaction,
      insertKey: (key, seq, session) => mongo.models.keys.insertMany([keyDoc(key, seq)], { session, lean: true }),
      bump,
    }),
  );
  const store: Store = {
    kind: 'mongodb',
    oidc,
    hats: mongoHats(mongo),
    keys: mongoKeys(mongo, bump),
    sessions: mongoSessions(mongo),
    activity: mongoActivity(mongo, reserve),
    applications: mongoApplications(mongo),
    grants: mongoGrants(mongo, bump),
    approvals: mongoApprovals(mongo, bump),
    records: mongoRecords(mongo, sequenceInTransaction(mongo)),
    once,
    resets,
    ...operator,
    attempts: mongoAttempts(conn),
    async ping() {
      const db = conn.db;
      if (!db) throw new Error('The MongoDB connection is closed');
      await db.admin().ping();
    },
    async close() {
      await conn.close();
    },
  };
  return answeringOrUnavailable(store, mongoUnavailable);
}
