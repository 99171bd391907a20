import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/http/server.js';
import { request } from '../support/http.js';

const mode = (p: string) => statSync(p).mode & 0o777;

/** SPEC 10: DATA_DIR is created 0700 and its files 0600 (issue 11, finding 8). */
describe('DATA_DIR permissions', () => {
  it('a fresh DATA_DIR is 0700 and every file in it 0600, database, WAL and secrets alike', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'hat-modes-'));
    const previous = process.umask(0o022);
    try {
      const dataDir = path.join(parent, 'data');
      const running = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' }));
      try {
        const pass = 'correct horse battery staple';
        const reply = await request(running.port, `hat.localhost:${running.port}`, '/api/signup', {
          method: 'POST',
          body: { username: 'modes', email: 'modes@example.com', pass, passRepeat: pass },
        });
        assert.equal(reply.status, 201);
        assert.equal(mode(dataDir), 0o700);
        const files = readdirSync(dataDir);
        for (const f of ['hat.sqlite', 'hat.sqlite-wal', 'secrets.json']) assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
        // The sign-up's confirmation mail went to the outbox (no SMTP_URL): a 0700 folder of 0600 files.
        await running.services.links.settled();
        const outbox = readdirSync(path.join(dataDir, 'outbox')).map((f) => path.join('outbox', f));
        assert.equal(outbox.length, 1);
        for (const f of [...files.filter((f) => f !== 'outbox'), ...outbox]) {
          assert.equal(mode(path.join(dataDir, f)), 0o600, `${f} is ${mode(path.join(dataDir, f)).toString(8)}`);
        }
        assert.equal(mode(path.join(dataDir, 'outbox')), 0o700);
      } finally {
        await running.close();
      }
    } finally {
      process.umask(previous);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('an existing DATA_DIR and database made with looser modes are tightened at start', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hat-modes-old-'));
    try {
      chmodSync(dataDir, 0o755);
      writeFileSync(path.join(dataDir, 'hat.sqlite'), '', { mode: 0o644 });
      chmodSync(path.join(dataDir, 'hat.sqlite'), 0o644);
      const running = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' }));
      await running.close();
      assert.equal(mode(dataDir), 0o700);
      assert.equal(mode(path.join(dataDir, 'hat.sqlite')), 0o600);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
