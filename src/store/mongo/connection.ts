import mongoose, { type ClientSession, type Connection } from 'mongoose';
import { databaseOf, DEFAULT_DATABASE, READ_CONCERN_LEVEL, runTransaction, WRITE_CONCERN } from './reliability.js';

export interface MongoStoreOptions {
  /** Overrides the database named in the URI (the contract tests use a fresh one per run). */
  dbName?: string;
  /** How long to wait for a reachable server before an operation (or opening) fails. */
  serverSelectionTimeoutMS?: number;
}

/**
 * Runs `fn` as one multi-document transaction, retried on transient errors by our own loop with
 * a deadline (reliability.ts), never the driver's 120 seconds: past it, 503.
 */
export type Transaction = <T>(fn: (session: ClientSession) => Promise<T>) => Promise<T>;

export function transactionsOn(conn: Connection): Transaction {
  return (fn) => runTransaction(conn, fn);
}

/** Connects, and checks that the server can run transactions; rejects with the (redacted) address otherwise. */
export async function connect(uri: string, options: MongoStoreOptions): Promise<Connection> {
  // A URI without a database would write into the driver's default, `test`: use ours instead.
  const dbName = options.dbName ?? (databaseOf(uri) ? undefined : DEFAULT_DATABASE);
  const conn: Connection = mongoose.createConnection(uri, {
    ...(dbName ? { dbName } : {}),
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Indexes are built at open, awaited, so that a failure stops the start rather than being logged.
    autoIndex: false,
    autoCreate: true,
    // An operation while the server is unreachable fails after serverSelectionTimeoutMS (healthz
    // answers 503) instead of waiting in mongoose's buffer.
    bufferCommands: false,
    // Acknowledged means on a majority of the replica set, in its journal (SPEC 10), within
    // WRITE_TIMEOUT_MS: without a majority a write fails (503) instead of waiting for ever.
    writeConcern: WRITE_CONCERN,
    // Reads see only what a majority has, which a failover cannot roll back.
    readConcern: { level: READ_CONCERN_LEVEL },
  });
  try {
    await conn.asPromise();
    await requireTransactions(conn);
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot open the MongoDB store at ${redact(uri)}: ${reason}`, { cause: err });
  }
  return conn;
}

/** Credentials never go into an error message or a log. */
function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

/** Transactions need a replica set member or mongos; say so at start-up, not at the first sign-up. */
async function requireTransactions(conn: Connection): Promise<void> {
  const admin = conn.db?.admin();
  if (!admin) throw new Error('the connection has no database');
  let hello: { setName?: unknown; msg?: unknown };
  try {
    hello = await admin.command({ hello: 1 });
  } catch {
    hello = await admin.command({ isMaster: 1 });
  }
  if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
    throw new Error(
      'the server is a standalone mongod; the MongoDB store needs a replica set (a single-node one will do) for transactions',
    );
  }
}

/** Runs a step of opening (models, indexes); if it fails, the connection is closed and the error says what failed. */
export async function preparing<T>(conn: Connection, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    throw new Error(`Cannot prepare the MongoDB store's indexes: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
