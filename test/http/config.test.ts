import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { baseUrl, clusterAddress, ConfigError, hatAddress, loadConfig } from '../../src/config.js';

/** SPEC 11: the environment, its defaults, and refusing to start on what cannot work. */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRETS = { SESSION_SECRET: 's'.repeat(40), KEY_ENCRYPTION_SECRET: 'k'.repeat(40), ADMIN_TOKEN: 'a'.repeat(40) };

function refuses(env: NodeJS.ProcessEnv, ...mentions: RegExp[]): string {
  let message = '';
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      message = err.message;
      for (const m of mentions) assert.match(err.message, m);
      return true;
    },
  );
  return message;
}

describe('loadConfig (SPEC 11)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = () => mkdtempSync(path.join(dir, 'data-'));

  it('has defaults that make a laptop cluster work', () => {
    // Production with its secrets, so that the default DATA_DIR is only resolved, never written.
    const c = loadConfig({ NODE_ENV: 'production', ...SECRETS });
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.hatDomain, 'hat.localhost');
    assert.equal(c.publicPort, 3000);
    assert.equal(c.publicScheme, 'http');
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.mongodbUri, undefined);
    assert.equal(c.trustProxy, false);
    assert.equal(c.allowQueryCredentials, true);
    assert.deepEqual(c.tokenTtl, { owner: 3 * 24 * 3600, application: 3 * 24 * 3600, validate: 3600 });
    assert.equal(hatAddress(c, 'alice'), 'alice.hat.localhost:3000');
    assert.equal(baseUrl(c, clusterAddress(c)), 'http://hat.localhost:3000');
  });

  it('derives PUBLIC_PORT from PORT and PUBLIC_SCHEME from the domain', () => {
    const local = loadConfig({ DATA_DIR: fresh(), PORT: '8080' });
    assert.equal(local.publicPort, 8080);
    assert.equal(hatAddress(local, 'alice'), 'alice.hat.localhost:8080');
    const real = loadConfig({ DATA_DIR: fresh(), HAT_DOMAIN: 'Hubat.Example.NET', PORT: '8080', PUBLIC_PORT: '443' });
    assert.equal(real.hatDomain, 'hubat.example.net');
    assert.equal(real.publicScheme, 'https');
    assert.equal(hatAddress(real, 'alice'), 'alice.hubat.example.net', 'port 443 is left out of https addresses');
    const plain = loadConfig({ DATA_DIR: fresh(), PUBLIC_SCHEME: 'http', PUBLIC_PORT: '80' });
    assert.equal(baseUrl(plain, hatAddress(plain, 'bob')), 'http://bob.hat.localhost');
  });

  it('reads TRUST_PROXY and ALLOW_QUERY_CREDENTIALS as booleans', () => {
    for (const [raw, value] of [['true', true], ['TRUE', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false]] as const) {
      assert.equal(loadConfig({ DATA_DIR: fresh(), TRUST_PROXY: raw }).trustProxy, value, `TRUST_PROXY=${raw}`);
      assert.equal(loadConfig({ DATA_DIR: fresh(), ALLOW_QUERY_CREDENTIALS: raw }).allowQueryCredentials, value);
    }
  });

  it('refuses to start in production without SESSION_SECRET, KEY_ENCRYPTION_SECRET and ADMIN_TOKEN, naming each', () => {
    const dataDir = fresh();
    refuses({ NODE_ENV: 'production', DATA_DIR: dataDir }, /SESSION_SECRET/, /KEY_ENCRYPTION_SECRET/, /ADMIN_TOKEN/);
    for (const missing of Object.keys(SECRETS)) {
      const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', DATA_DIR: dataDir, ...SECRETS };
      delete env[missing];
      const message = refuses(env, new RegExp(missing));
      for (const present of Object.keys(SECRETS).filter((n) => n !== missing)) {
        assert.doesNotMatch(message, new RegExp(`\\b${present}\\b`), `${present} was given`);
      }
      refuses({ ...env, [missing]: '' }, new RegExp(missing));
    }
  });

  it('does not use a secrets file in production, even when one is there', () => {
    const dataDir = fresh();
    loadConfig({ DATA_DIR: dataDir }); // development writes one
    refuses({ NODE_ENV: 'production', DATA_DIR: dataDir }, /SESSION_SECRET/);
  });

  it('generates the secrets once in development, in DATA_DIR/secrets.json with mode 0600', () => {
    const dataDir = fresh();
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = path.join(dataDir, 'secrets.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(stored).sort(), ['ADMIN_TOKEN', 'KEY_ENCRYPTION_SECRET', 'SESSION_SECRET']);
    assert.equal(first.sessionSecret, stored.SESSION_SECRET);
    assert.equal(first.keyEncryptionSecret, stored.KEY_ENCRYPTION_SECRET);
    assert.equal(first.adminToken, stored.ADMIN_TOKEN);
    const values = [first.sessionSecret, first.keyEncryptionSecret, first.adminToken];
    assert.equal(new Set(values).size, 3, 'three different secrets');
    for (const v of values) assert.ok(v.length >= 32, 'long enough to be unguessable');

    const modified = statSync(file).mtimeMs;
    const again = loadConfig({ DATA_DIR: dataDir });
    assert.equal(again.sessionSecret, first.sessionSecret, 'kept across restarts');
    assert.equal(again.keyEncryptionSecret, first.keyEncryptionSecret);
    assert.equal(again.adminToken, first.adminToken);
    assert.equal(statSync(file).mtimeMs, modified, 'not rewritten');
    assert.notEqual(loadConfig({ DATA_DIR: fresh() }).sessionSecret, first.sessionSecret, 'another DATA_DIR, other secrets');
  });

  it('lets the environment override a generated secret in development', () => {
    const dataDir = fresh();
    loadConfig({ DATA_DIR: dataDir });
    const c = loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: 'from the environment' });
    assert.equal(c.adminToken, 'from the environment');
  });

  it('refuses an unreadable secrets file with a clear message instead of replacing it', () => {
    const dataDir = fresh();
    writeFileSync(path.join(dataDir, 'secrets.json'), '{ not json', { mode: 0o600 });
    refuses({ DATA_DIR: dataDir }, /secrets\.json/);
    assert.equal(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'), '{ not json', 'left as it was');
  });

  it('refuses a PORT that is not a port number, saying so', () => {
    for (const port of ['abc', '-1', '3.5', '65536', '99999', '0x50', ' ']) {
      refuses({ DATA_DIR: fresh(), PORT: port }, /PORT/);
    }
    for (const port of ['abc', '70000']) refuses({ DATA_DIR: fresh(), PUBLIC_PORT: port }, /PUBLIC_PORT/);
    assert.equal(loadConfig({ DATA_DIR: fresh(), PORT: '0' }).port, 0, 'port 0 picks a free port (tests)');
    assert.equal(loadConfig({ DATA_DIR: fresh(), PORT: '65535' }).port, 65535);
  });

  it('refuses a TRUST_PROXY or ALLOW_QUERY_CREDENTIALS that is not a boolean, saying so', () => {
    refuses({ DATA_DIR: fresh(), TRUST_PROXY: 'maybe' }, /TRUST_PROXY/, /true or false/);
    refuses({ DATA_DIR: fresh(), ALLOW_QUERY_CREDENTIALS: 'sometimes' }, /ALLOW_QUERY_CREDENTIALS/);
  });

  it('refuses a HAT_DOMAIN, PUBLIC_SCHEME or LOG_LEVEL that cannot work', () => {
    for (const domain of ['hat_domain.test', 'http://hat.localhost', 'hat.localhost:3000', '-hat.localhost']) {
      refuses({ DATA_DIR: fresh(), HAT_DOMAIN: domain }, /HAT_DOMAIN/);
    }
    refuses({ DATA_DIR: fresh(), PUBLIC_SCHEME: 'ftp' }, /PUBLIC_SCHEME/);
    refuses({ DATA_DIR: fresh(), LOG_LEVEL: 'loud' }, /LOG_LEVEL/);
  });
});

/** Runs `src/main.ts` with exactly `env` (plus PATH) and gathers its exit and output. */
function runMain(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/main.ts')],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('Starting the server (SPEC 11)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-main-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits non-zero in production without secrets, naming the missing ones', async () => {
    const { code, stderr } = await runMain({ NODE_ENV: 'production', PORT: '0', DATA_DIR: dir });
    assert.notEqual(code, 0);
    assert.notEqual(code, null, 'it exits by itself');
    for (const name of Object.keys(SECRETS)) assert.match(stderr, new RegExp(name));
    assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace');
  });

  it('exits non-zero on a bad PORT with a one-line reason', async () => {
    const { code, stderr } = await runMain({ PORT: 'eighty', DATA_DIR: dir });
    assert.notEqual(code, 0);
    assert.notEqual(code, null);
    assert.match(stderr, /PORT/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
