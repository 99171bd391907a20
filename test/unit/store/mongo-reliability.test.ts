import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mongoose from 'mongoose';
import {
  chunked,
  databaseOf,
  mongoUnavailable,
  runTransaction,
  TopK,
  TransactionDeadlineExceeded,
  type TransactionRunner,
} from '../../../src/store/mongo/reliability.js';
import { byValue, sortByValue, type SortValue } from '../../../src/store/ordering.js';

const { MongoServerError, MongoWriteConcernError, MongoNetworkError } = mongoose.mongo;

/** Issue 11, finding 15: what can be checked of the MongoDB fixes without a server. */
describe('MongoDB errors that mean "not now" answer 503', () => {
  it('a write concern that timed out or failed', () => {
    const wc = new MongoWriteConcernError({ writeConcernError: { errmsg: 'waiting for replication timed out', code: 64, errInfo: { wtimeout: true } } } as never);
    assert.equal(mongoUnavailable(wc), true);
    const inReply = new MongoServerError({ errmsg: 'ok but', writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' } } as never);
    assert.equal(mongoUnavailable(inReply), true);
  });

  it('time limits, elections and a mongos that cannot reach a shard', () => {
    for (const [code, codeName] of [
      [50, 'MaxTimeMSExpired'],
      [262, 'ExceededTimeLimit'],
      [202, 'NetworkInterfaceExceededTimeLimit'],
      [6, 'HostUnreachable'],
      [133, 'FailedToSatisfyReadPreference'],
      [189, 'PrimarySteppedDown'],
      [11602, 'InterruptedDueToReplStateChange'],
      [91, 'ShutdownInProgress'],
    ] as const) {
      assert.equal(mongoUnavailable(new MongoServerError({ errmsg: codeName, code, codeName } as never)), true, codeName);
    }
    assert.equal(mongoUnavailable(new MongoNetworkError('connection reset')), true);
    assert.equal(mongoUnavailable(new TransactionDeadlineExceeded('late')), true);
  });

  it('but not a refusal: a duplicate key, a bad query, an ordinary error', () => {
    assert.equal(mongoUnavailable(new MongoServerError({ errmsg: 'E11000 duplicate key', code: 11000 } as never)), false);
    assert.equal(mongoUnavailable(new MongoServerError({ errmsg: 'bad', code: 2, codeName: 'BadValue' } as never)), false);
    assert.equal(mongoUnavailable(new Error('boom')), false);
    assert.equal(mongoUnavailable(null), false);
  });
});

/** A session whose commits fail transiently `failures` times (or always). */
function fakeConnection(failures: number) {
  let commits = 0;
  let runs = 0;
  const transient = () => {
    const err = new MongoServerError({ errmsg: 'write conflict', code: 112, codeName: 'WriteConflict' } as never);
    err.addErrorLabel('TransientTransactionError');
    return err;
  };
  let open = false;
  const session = {
    startTransaction: () => (open = true),
    inTransaction: () => open,
    abortTransaction: async () => void (open = false),
    commitTransaction: async () => {
      commits++;
      open = false;
      if (commits <= failures) throw transient();
    },
    endSession: async () => undefined,
  };
  const conn: TransactionRunner = { startSession: async () => session as never };
  return { conn, runs: () => runs, commits: () => commits, run: async () => ++runs };
}

describe('Our own transaction loop (not the driver’s 120 seconds)', () => {
  it('retries a transient failure and commits', async () => {
    const f = fakeConnection(3);
    assert.equal(await runTransaction(f.conn, f.run, { sleep: async () => {} }), 4);
    assert.equal(f.commits(), 4);
  });

  it('gives up at its deadline with a 503 error', async () => {
    const f = fakeConnection(Number.POSITIVE_INFINITY);
    const started = Date.now();
    await assert.rejects(runTransaction(f.conn, f.run, { deadlineMs: 200 }), (err: unknown) => mongoUnavailable(err));
    assert.ok(Date.now() - started < 2000, 'it stopped near its deadline');
  });

  it('does not retry a refusal', async () => {
    const f = fakeConnection(0);
    let runs = 0;
    await assert.rejects(
      runTransaction(f.conn, async () => {
        runs++;
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal(runs, 1);
  });
});

describe('TopK: ordering by a data field keeps only skip+take', () => {
  it('gives exactly the first k of the full sort, both directions, ties by insertion order', () => {
    const values: SortValue[] = [3, 'b', null, 1, 'a', 3, 2, null, 'b', 0, -1, 'z', 3];
    const items = Array.from({ length: 500 }, (_, i) => ({ id: String(i), value: values[(i * 7) % values.length]!, seq: i }));
    for (const direction of ['ascending', 'descending'] as const) {
      for (const k of [0, 1, 10, 99, 500, 600]) {
        const top = new TopK<(typeof items)[number]>(k, byValue(direction));
        for (const item of items) top.push(item);
        const expected = sortByValue([...items], direction).slice(0, k);
        assert.deepEqual(top.sorted().map((x) => x.id), expected.map((x) => x.id), `${direction} k=${k}`);
      }
    }
  });
});

describe('The database a MONGODB_URI names', () => {
  it('is read from the path; none (which would mean `test`) is null', () => {
    assert.equal(databaseOf('mongodb://127.0.0.1:27017/hat?replicaSet=rs0'), 'hat');
    assert.equal(databaseOf('mongodb+srv://u:p@cluster.example.net/prod'), 'prod');
    assert.equal(databaseOf('mongodb://127.0.0.1:27017/?replicaSet=rs0'), null);
    assert.equal(databaseOf('mongodb://127.0.0.1:27017'), null);
  });

  it('chunks a list for transactions of bounded size', () => {
    assert.deepEqual(chunked([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(chunked([], 2), []);
  });
});
