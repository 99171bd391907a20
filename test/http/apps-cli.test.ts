import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { admin, appToken, enableApp } from '../support/apps.js';
import { registrationFor } from '../support/fixtures.js';
import { notablesManifest } from '../support/manifests.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run apps: the registry from the command line (SPEC 9)', () => {
  let dataDir: string;
  let files: string;
  let server: TestServer;
  const env = () => ({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const apps = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/apps.ts', ...args], env());
  const file = (name: string, content: unknown) => {
    const p = path.join(files, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'hat-apps-cli-'));
    files = mkdtempSync(path.join(tmpdir(), 'hat-apps-files-'));
    // The server shares the CLI's data folder and re-reads HATs on every request.
    server = await startTestServer({ DATA_DIR: dataDir, REVISION_CHECK_MS: '0' });
  });
  after(async () => {
    await server.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('lists no applications on a fresh store', async () => {
    const r = await apps('list');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No applications are registered/);
  });

  it('adds an application from a JSON file and prints it', async () => {
    const r = await apps('add', file('diary.json', registrationFor('diary', [{ namespace: 'diary', access: 'write' }])));
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout);
    assert.equal(printed.id, 'diary');
    assert.deepEqual(printed.permissions, [{ namespace: 'diary', access: 'write' }]);
  });

  it('adds a HAT manifest as it stands and shows it back, unused fields kept; a bad one names the field', async () => {
    const added = await apps('add', file('notables.json', notablesManifest()));
    assert.equal(added.code, 0, added.stderr);
    const shown = await apps('show', 'notables');
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout).manifest, notablesManifest());
    const bad = notablesManifest({ id: 'broken' });
    bad.setup.validRedirectUris = ['http://evil.example.com/cb'];
    const refused = await apps('add', file('broken.json', bad));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /setup\.validRedirectUris\[0\] must use https/);
    assert.equal((await apps('remove', 'notables')).code, 0);
  });

  it('is the same registry the server serves', async () => {
    const reply = await admin(server, 'GET', '/api/admin/applications/diary');
    assert.equal(reply.status, 200);
    assert.equal(reply.json().name, 'The diary application');
  });

  it('refuses to add the same id twice (exit 1, clear message)', async () => {
    const r = await apps('add', path.join(files, 'diary.json'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already registered/);
  });

  it('refuses a bad registration, names the field, and stores nothing', async () => {
    const bad = registrationFor('insecure', [], { redirectUris: ['http://insecure.example.com/cb'] });
    const r = await apps('add', file('bad.json', bad));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /redirectUris\[0\] must use https/);
    assert.equal((await admin(server, 'GET', '/api/admin/applications/insecure')).status, 404);
  });

  it('says so when the file is missing or not JSON', async () => {
    const missing = await apps('add', path.join(files, 'nope.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
    const broken = await apps('add', file('broken.json', '{"id": "x",'));
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.json is not valid JSON/);
  });

  it('lists applications as a table, or as JSON with --json', async () => {
    const table = await apps('list');
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^ID\s+VERSION\s+NAME/m);
    assert.match(table.stdout, /^diary\s+1\.0\.0\s+The diary application\s+diary:write\s+https:\/\/diary\.example\.com\/callback$/m);
    const json = await apps('list', '--json');
    assert.deepEqual(JSON.parse(json.stdout).map((a: { id: string }) => a.id), ['diary']);
  });

  it('updates a registration from a file', async () => {
    const r = await apps('update', file('diary-2.json', registrationFor('diary', [{ namespace: 'diary', access: 'write' }], { version: '2.0.0' })));
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await apps('show', 'diary')).stdout.includes('"version": "2.0.0"'), true);
  });

  it("removes an application, and its tokens stop working on the server's next request", async () => {
    const { token: owner } = await server.createHat('alice');
    await enableApp(server, 'alice', owner, 'diary');
    const token = await appToken(server, 'alice', owner, 'diary');
    const use = () => server.call('alice', '/api/v2.6/data/diary/days', { headers: { 'x-auth-token': token } });
    assert.equal((await use()).status, 200);
    const r = await apps('remove', 'diary');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Removed diary \(it was enabled or set up on 1 HAT\)/);
    assert.equal((await use()).status, 401);
    const again = await apps('remove', 'diary');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /No application "diary"/);
  });

  it('explains its usage on a missing or unknown command (exit 2)', async () => {
    const none = await apps();
    assert.equal(none.code, 2);
    assert.match(none.stdout, /usage: npm run apps/);
    const unknown = await apps('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const noFile = await apps('add');
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /a JSON file is required/);
  });

  it('runs as `npm run apps -- list`', async () => {
    const r = await run('npm', ['run', '--silent', 'apps', '--', 'list', '--json'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });
});
