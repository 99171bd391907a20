import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { storeContract } from './store-contract.js';

storeContract('the embedded SQLite store keeps the store contract (SPEC 10)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hat-store-sqlite-'));
  const store = openSqliteStore(dir);
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
