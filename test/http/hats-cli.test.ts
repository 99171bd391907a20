import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeProtectedHeader } from 'jose';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run hats -- …` is `tsx src/cli/hats.ts …`; run it the same way, against the server's data folder. */
function hats(dataDir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/hats.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run hats: the HATs from the command line (SPEC 9)', () => {
  let server: TestServer;
  const cli = (...args: string[]) => hats(server.dataDir, ...args);
  const validate = (hat: string, token: string) => server.call(hat, '/users/access_token/validate', { headers: { 'X-Auth-Token': token } });

  before(async () => {
    // The server re-reads HATs on every request, so what the CLI changes is seen at once.
    server = await startTestServer({ REVISION_CHECK_MS: '0' });
  });
  after(() => server.stop());

  it('list shows every HAT as a table, or as JSON with --json; show prints one', async () => {
    await server.createHat('clia');
    await server.createHat('clib');
    const table = await cli('list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+CREATED\s+STATUS\s+KEYS\s+RECORDS\s+SERVICES$/m);
    assert.match(table.stdout, /^clia\s+\d{4}-\d\d-\d\d\s+active\s+1\s+0\s+0$/m);
    const json = await cli('list', '--json');
    assert.deepEqual(JSON.parse(json.stdout).map((h: { name: string }) => h.name).filter((n: string) => n.startsWith('cli')), ['clia', 'clib']);
    const shown = await cli('show', 'clia');
    assert.equal(shown.code, 0);
    assert.equal(JSON.parse(shown.stdout).name, 'clia');
  });

  it('disable and enable: the running server refuses the owner at once, then lets them back in; both are logged', async () => {
    const { token } = await server.createHat('clidim');
    const off = await cli('disable', 'clidim');
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /"action":"owner_disabled".*"by":"operator"/, 'written to the log');
    assert.equal((await validate('clidim', token)).status, 401);
    const on = await cli('enable', 'clidim');
    assert.equal(on.code, 0, on.stderr);
    assert.equal((await validate('clidim', token)).status, 200);
    const types = (await server.services.activity.page('clidim', 1, 10)).entries.filter((e) => e.via === 'operator').map((e) => e.type);
    assert.deepEqual(types, ['owner_enabled', 'owner_disabled']);
  });

  it('rotate-key prints {kid, previous}; --revoke stops the old tokens', async () => {
    const { token } = await server.createHat('clirot');
    const rotated = await cli('rotate-key', 'clirot');
    assert.equal(rotated.code, 0, rotated.stderr);
    const { kid, previous } = JSON.parse(rotated.stdout);
    assert.equal(previous, decodeProtectedHeader(token).kid);
    assert.equal((await validate('clirot', token)).status, 200, 'overlap: the old token still validates');
    const fresh = await server.ownerToken('clirot');
    assert.equal(decodeProtectedHeader(fresh).kid, kid);
    const revoked = await cli('rotate-key', 'clirot', '--revoke');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await validate('clirot', token)).status, 401);
    assert.equal((await validate('clirot', fresh)).status, 401);
  });

  it('delete removes the HAT and reserves its name', async () => {
    await server.createHat('cligone');
    const r = await cli('delete', 'cligone');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deleted cligone .* reserved until \d{4}-/);
    assert.equal((await server.call('cligone', '/publickey')).status, 404);
    const again = await server.call(null, '/api/signup', {
      method: 'POST',
      body: { username: 'cligone', email: 'new@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD },
    });
    assert.equal(again.status, 409);
  });

  it('an unknown HAT fails with exit code 1, bad usage with 2', async () => {
    for (const command of ['show', 'disable', 'enable', 'rotate-key', 'delete']) {
      const r = await cli(command, 'nobody');
      assert.equal(r.code, 1, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /no HAT named "nobody"/);
    }
    assert.equal((await cli('frobnicate')).code, 2);
    assert.equal((await cli('show')).code, 2);
    assert.equal((await cli('list', '--yaml')).code, 2);
    assert.equal((await cli()).code, 2);
  });
});
