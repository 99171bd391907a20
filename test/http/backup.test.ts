import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/ports.js';
import { storeContract } from './store-contract.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run backup -- <file>` / `npm run restore -- <file>`, run as npm runs them, on `dataDir`. */
function cli(command: 'backup' | 'restore', dataDir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/backup.ts', command, ...args],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, MONGODB_URI: '' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

describe('npm run backup / npm run restore (SPEC 10)', () => {
  let server: TestServer;
  let files: string;
  before(async () => {
    server = await startTestServer();
    files = tmp('hat-backups-');
  });
  after(async () => {
    await server.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('a backup taken while the server writes restores every batch acknowledged before it, each batch whole', async () => {
    const { token } = await server.createHat('keeper');
    let acked = 0;
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const batch = Array.from({ length: 10 }, (_, j) => ({ batch: i, j }));
        const reply = await server.call('keeper', '/api/v2.6/data/notes/main', { method: 'POST', headers: { 'x-auth-token': token }, body: batch });
        assert.equal(reply.status, 201, reply.text);
        acked++;
      }
    })();
    while (acked < 20) await new Promise((r) => setTimeout(r, 20));
    const ackedBefore = acked;
    const file = path.join(files, 'during-writes.sqlite');
    const backup = await cli('backup', server.dataDir, file);
    const ackedAfter = acked;
    writing = false;
    await writer;
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Backed up 1 HAT \(\d+ bytes\)/);
    assert.ok(ackedAfter > ackedBefore, 'the server went on writing during the backup');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    // Restored into another data folder, beside the same secrets (the keys are sealed with them).
    const restoredDir = tmp('hat-restored-');
    copyFileSync(path.join(server.dataDir, 'secrets.json'), path.join(restoredDir, 'secrets.json'));
    const restore = await cli('restore', restoredDir, file);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Restored 1 HAT/);
    const store = openSqliteStore(restoredDir);
    try {
      const records = await store.records.read('keeper', 'notes/main', { ordering: 'ascending', skip: 0, take: 1_000_000 });
      const batches = new Map<number, number>();
      for (const r of records) {
        const { batch } = JSON.parse(r.json) as { batch: number };
        batches.set(batch, (batches.get(batch) ?? 0) + 1);
      }
      assert.ok([...batches.values()].every((n) => n === 10), 'every batch whole or absent');
      assert.ok(batches.size >= ackedBefore, `${batches.size} batches restored, ${ackedBefore} acknowledged before the backup`);
      assert.ok(batches.size <= ackedAfter + 1);
      assert.deepEqual([...batches.keys()].sort((a, b) => a - b), [...Array(batches.size).keys()], 'a prefix of the writes, no gaps');
    } finally {
      await store.close();
    }
    // And a server on it logs the owner in with their password and signs with their restored key.
    const restored = await startTestServer({ DATA_DIR: restoredDir });
    try {
      assert.ok((await restored.ownerToken('keeper', STRONG_PASSWORD)).length > 100);
    } finally {
      await restored.stop();
    }
  });

  it('restore refuses the store of a running server, and anything that is not an intact HAT store', async () => {
    const file = path.join(files, 'good.sqlite');
    assert.equal((await cli('backup', server.dataDir, file)).code, 0);
    const running = await cli('restore', server.dataDir, file);
    assert.equal(running.code, 1);
    assert.match(running.stderr, /a server has the store open/);
    const junk = path.join(files, 'junk.sqlite');
    writeFileSync(junk, 'not a database at all, not even close '.repeat(200));
    const empty = tmp('hat-empty-');
    const refused = await cli('restore', empty, junk);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not (an SQLite file|a readable HAT store)/);
    assert.equal((await cli('restore', empty, path.join(files, 'missing.sqlite'))).code, 1);
    assert.equal((await cli('backup', empty, path.join(files, 'x.sqlite'))).code, 1, 'no store to back up');
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers bad usage with exit code 2', async () => {
    assert.equal((await cli('backup', server.dataDir)).code, 2);
    assert.equal((await cli('backup', server.dataDir, 'a', 'b')).code, 2);
  });
});

/**
 * The store contract, run on a store restored from a backup taken while another store handle kept
 * writing to it: the restored file is a working store in every respect.
 */
storeContract('a store restored from a backup taken during writes keeps the store contract', async () => {
  const liveDir = tmp('hat-live-');
  const restoredDir = tmp('hat-restored-contract-');
  const live = openSqliteStore(liveDir);
  let writing = true;
  const writer = (async (s: Store) => {
    await s.hats.create(
      { name: 'writer', ownerId: randomUUID(), email: 'w@example.com', fullName: '', passwordHash: 'x', disabled: false, tokensNotBefore: 0, revision: 1, createdAt: new Date() },
      { kid: randomUUID(), hat: 'writer', publicPem: 'pem', privateKeyEnc: 'enc', createdAt: new Date() },
    );
    for (let i = 0; writing; i++) {
      await s.records.insert('writer', [{ recordId: randomUUID(), endpoint: 'ns/e', json: `{"i":${i}}`, createdAt: new Date() }]);
      await yieldToLoop();
    }
  })(live);
  const file = path.join(restoredDir, 'backup.sqlite');
  const backup = await cli('backup', liveDir, file);
  writing = false;
  await writer;
  await live.close();
  assert.equal(backup.code, 0, backup.stderr);
  const restore = await cli('restore', restoredDir, file);
  assert.equal(restore.code, 0, restore.stderr);
  const store = openSqliteStore(restoredDir);
  return {
    store,
    cleanup: async () => {
      await store.close();
      for (const dir of [liveDir, restoredDir]) rmSync(dir, { recursive: true, force: true });
    },
  };
});
