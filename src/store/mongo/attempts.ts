import type { Connection } from 'mongoose';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import { attemptCounters } from '../attempts.js';
import type { Store } from '../ports.js';

/** The rate-limiter-flexible collection; its indexes are made here, as the library would make them. */
const ATTEMPTS = 'attempts';

export async function prepareAttempts(conn: Connection): Promise<void> {
  const attempts = conn.collection(ATTEMPTS);
  await attempts.createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
  await attempts.createIndex({ key: 1 }, { unique: true });
}

/** Attempt counters shared by every process on this database; MongoDB expires ended windows itself. */
export function mongoAttempts(conn: Connection): Store['attempts'] {
  return attemptCounters(
    (name, windowSeconds, limit) =>
      new RateLimiterMongo({
        storeClient: conn,
        tableName: ATTEMPTS,
        keyPrefix: name,
        points: limit,
        duration: windowSeconds,
        // Made at open, awaited; the library would otherwise build them unawaited per limiter.
        disableIndexesCreation: true,
      }),
  );
}
