import type { ClientSession, Connection } from 'mongoose';

/*
 * What keeps the MongoDB adapter from hanging or answering 500 when the replica set struggles
 * (SPEC 10: writes carry a write-concern timeout, transactions a deadline, both answering 503).
 * Pure or nearly so, so that it can be tested without a server.
 */

/** Acknowledged = on a majority, journaled, or an error after this long (never a hang). */
export const WRITE_TIMEOUT_MS = 5000;
export const WRITE_CONCERN = { w: 'majority', journal: true, wtimeoutMS: WRITE_TIMEOUT_MS } as const;
/** Reads see only what a majority has: what a failover cannot roll back. */
export const READ_CONCERN_LEVEL = 'majority' as const;
/** How long a transaction, with its retries, may take before the request gets 503. */
export const TRANSACTION_DEADLINE_MS = 10_000;
/** The budget of one ordered read of an endpoint (the scan that sorts in the process). */
export const ORDERED_READ_MAX_MS = 10_000;

/** A transaction that kept failing transiently until its deadline: 503, not 500. */
export class TransactionDeadlineExceeded extends Error {
  override name = 'TransactionDeadlineExceeded';
}

interface DriverError {
  name?: unknown;
  code?: unknown;
  codeName?: unknown;
  errorResponse?: { writeConcernError?: unknown; code?: unknown; codeName?: unknown };
  writeConcernError?: unknown;
  result?: { writeConcernError?: unknown };
  hasErrorLabel?: (label: string) => boolean;
}

/**
 * Server codes that mean "not now" rather than "no": elections, shutdowns, a mongos that cannot
 * reach a shard, time limits, lock and write-concern timeouts.
 */
const UNAVAILABLE_CODE_NAMES = new Set([
  'NotWritablePrimary', 'NotPrimaryNoSecondaryOk', 'NotPrimaryOrSecondary', 'PrimarySteppedDown',
  'InterruptedDueToReplStateChange', 'InterruptedAtShutdown', 'ShutdownInProgress', 'WriteConcernFailed',
  'WriteConcernTimeout', 'UnsatisfiableWriteConcern', 'MaxTimeMSExpired', 'ExceededTimeLimit',
  'NetworkInterfaceExceededTimeLimit', 'HostUnreachable', 'HostNotFound', 'NetworkTimeout',
  'FailedToSatisfyReadPreference', 'LockTimeout', 'ShardNotFound', 'StaleConfig', 'StaleShardVersion',
  'TransactionExceededLifetimeLimitSeconds', 'NoSuchTransaction', 'WriteConflict', 'SocketException',
]);
const UNAVAILABLE_CODES = new Set([6, 7, 24, 50, 64, 89, 91, 100, 112, 133, 189, 202, 251, 262, 290, 10107, 11600, 11602, 13388, 13435, 13436]);

/** Driver and server errors that mean the replica set is not answering (503), not a refusal. */
export function mongoUnavailable(err: unknown): boolean {
  if (err instanceof TransactionDeadlineExceeded) return true;
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object' || typeof e.name !== 'string') return false;
  if (/^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared|ServerClosed|WriteConcern|OperationTimeout)Error$/.test(e.name)) {
    return true;
  }
  // A write that was applied but not acknowledged by a majority in time: the caller cannot know
  // it stuck, so the answer is "try again", never a success or a 500.
  if (e.writeConcernError || e.errorResponse?.writeConcernError || e.result?.writeConcernError) return true;
  for (const source of [e, e.errorResponse]) {
    if (!source) continue;
    if (typeof source.codeName === 'string' && UNAVAILABLE_CODE_NAMES.has(source.codeName)) return true;
    if (typeof source.code === 'number' && UNAVAILABLE_CODES.has(source.code)) return true;
  }
  return typeof e.hasErrorLabel === 'function' && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('TransientTransactionError'));
}

const hasLabel = (err: unknown, label: string) =>
  typeof (err as DriverError | null)?.hasErrorLabel === 'function' && (err as DriverError).hasErrorLabel!(label);

export interface TransactionRunner {
  startSession(): Promise<ClientSession>;
}

/**
 * Runs `fn` in a transaction, retrying transient failures (write conflicts, elections) with a
 * short growing pause, but only until `deadlineMs` has passed: the driver's own
 * `withTransaction` retries for 120 seconds, which a request must never wait. Past the deadline
 * it throws TransactionDeadlineExceeded (503). A commit whose result is unknown is retried as a
 * commit (the driver makes that idempotent), never by running `fn` again.
 */
export async function runTransaction<T>(
  conn: TransactionRunner,
  fn: (session: ClientSession) => Promise<T>,
  options: { deadlineMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? TRANSACTION_DEADLINE_MS);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const session = await conn.startSession();
  try {
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new TransactionDeadlineExceeded(`the transaction did not commit within ${options.deadlineMs ?? TRANSACTION_DEADLINE_MS} ms`);
      session.startTransaction({
        readConcern: { level: 'snapshot' },
        writeConcern: WRITE_CONCERN,
        readPreference: 'primary',
        maxCommitTimeMS: Math.max(1, Math.min(WRITE_TIMEOUT_MS, remaining)),
      });
      let result: T;
      try {
        result = await fn(session);
      } catch (err) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        if (hasLabel(err, 'TransientTransactionError') && Date.now() < deadline) {
          await sleep(Math.min(20 * 2 ** attempt, 500));
          continue;
        }
        throw err;
      }
      if (await commit(session, deadline, sleep)) return result;
      await sleep(Math.min(20 * 2 ** attempt, 500));
    }
  } finally {
    await session.endSession();
  }
}

/** True when committed; false when the whole transaction should run again (transient). */
async function commit(session: ClientSession, deadline: number, sleep: (ms: number) => Promise<void>): Promise<boolean> {
  for (;;) {
    try {
      await session.commitTransaction();
      return true;
    } catch (err) {
      if (Date.now() >= deadline) {
        if (mongoUnavailable(err)) throw new TransactionDeadlineExceeded('the transaction did not commit in time', { cause: err });
        throw err;
      }
      if (hasLabel(err, 'UnknownTransactionCommitResult')) {
        await sleep(20);
        continue;
      }
      if (hasLabel(err, 'TransientTransactionError')) return false;
      throw err;
    }
  }
}

/**
 * The first `k` of a stream in `compare` order, keeping at most `k` items at any time (a binary
 * max-heap): ordering an endpoint of a million records for `skip + take` of them needs memory
 * for those only. Ties keep the order `compare` gives them; the result is sorted.
 */
export class TopK<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly k: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  push(item: T): void {
    if (this.k <= 0) return;
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push(item);
      this.up(heap.length - 1);
    } else if (this.compare(item, heap[0]!) < 0) {
      heap[0] = item;
      this.down(0);
    }
  }

  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(heap[i]!, heap[parent]!) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < heap.length && this.compare(heap[l]!, heap[largest]!) > 0) largest = l;
      if (r < heap.length && this.compare(heap[r]!, heap[largest]!) > 0) largest = r;
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest]!, heap[i]!];
      i = largest;
    }
  }
}

/** At most `limit` of something at a time in this process; the rest wait their turn. */
export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** The database a URI names; a URI without one would write into the driver's default, `test`. */
export const DEFAULT_DATABASE = 'hat_login';

export function databaseOf(uri: string): string | null {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?#]*\/([^?#]*)/i.exec(uri);
  const name = match?.[1] ? decodeURIComponent(match[1]) : '';
  return name === '' ? null : name;
}

export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type { Connection };
