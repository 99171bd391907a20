import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import { concurrencyContract } from './concurrency-contract.js';

concurrencyContract('two SQLite stores on one file keep the multi-process contract (SPEC 10)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hat-store-twins-'));
  const a = openSqliteStore(dir);
  const b = openSqliteStore(dir);
  return {
    a,
    b,
    async cleanup() {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
