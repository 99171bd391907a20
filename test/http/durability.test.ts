import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { UniqueViolation } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { HatRecord, KeyRecord, Store } from '../../src/store/ports.js';
import { request } from '../support/http.js';
import { STRONG_PASSWORD } from '../support/server.js';

/** SPEC 10: creating a HAT is all-or-nothing, and nothing acknowledged is lost by a crash. */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Child {
  process: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

/** `src/main.ts` as a real process on a free port; resolves once it says it is ready. */
function startMain(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', SIGNUP_PER_CLIENT_HOUR: '100000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 30 s:\n${out}\n${err}`));
    }, 30_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const listen = /"listen":"[^"]*:(\d+)"/.exec(out);
      if (listen) {
        clearTimeout(timer);
        resolve({ process: child, port: Number(listen[1]), exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it was ready:\n${out}\n${err}`));
    });
  });
}

describe('Creating a HAT is all-or-nothing, and acknowledged sign-ups survive a crash (SPEC 10)', () => {
  let dataDir: string;
  const attempted: string[] = [];
  const acknowledged = new Set<string>();
  const running: Child[] = [];

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'hat-durability-'));
  });
  after(async () => {
    for (const child of running) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged sign-up and leaves no HAT without its key when the server is killed mid-burst', async () => {
    const server = await startMain(dataDir);
    running.push(server);
    const clusterHost = `hat.localhost:${server.port}`;
    const total = 30;
    const killAfter = 10;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      server.process.kill('SIGKILL');
    };

    const signUp = async (i: number) => {
      const name = `crash${i}`;
      attempted.push(name);
      try {
        const reply = await request(server.port, clusterHost, '/api/signup', {
          method: 'POST',
          body: { username: name, email: `${name}@example.com`, pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD },
        });
        if (reply.status === 201) acknowledged.add(name);
        else assert.fail(`sign-up of ${name}: ${reply.status} ${reply.text}`);
      } catch (err) {
        if (!killed) throw err; // after the kill, refused connections are expected
      }
      if (acknowledged.size >= killAfter) kill();
    };

    // Six at a time, so that several sign-ups are in flight when the kill lands.
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < total && !killed) await signUp(next++);
      }),
    );
    kill();
    await server.exited;
    assert.ok(acknowledged.size >= killAfter, `only ${acknowledged.size} sign-ups were acknowledged`);

    const store = openSqliteStore(dataDir);
    try {
      let existing = 0;
      for (const name of attempted) {
        const hat = await store.hats.find(name);
        const keys = await store.keys.list(name);
        if (acknowledged.has(name)) assert.ok(hat, `acknowledged ${name} was lost`);
        if (hat) {
          existing++;
          assert.equal(keys.length, 1, `${name} exists without its key`);
          assert.equal(hat.email, `${name}@example.com`);
          assert.match(hat.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        } else {
          assert.equal(keys.length, 0, `a key of ${name} exists without its HAT`);
        }
      }
      assert.equal(await store.hats.count(), existing, 'no HAT beyond those attempted');
    } finally {
      await store.close();
    }
  });

  it('lets an acknowledged HAT log in after a restart on the same DATA_DIR', async () => {
    assert.ok(acknowledged.size > 0);
    const server = await startMain(dataDir);
    running.push(server);
    try {
      for (const name of [...acknowledged].slice(0, 3)) {
        const host = `${name}.hat.localhost:${server.port}`;
        const login = await request(server.port, host, '/users/access_token', {
          headers: { username: name, password: encodeURIComponent(STRONG_PASSWORD) },
        });
        assert.equal(login.status, 200, `${name}: ${login.text}`);
        const { accessToken } = login.json<{ accessToken: string }>();
        const check = await request(server.port, host, '/users/access_token/validate', { headers: { 'x-auth-token': accessToken } });
        assert.equal(check.status, 200, `${name}'s new token validates`);
      }
      // A name that was acknowledged stays taken.
      const [taken] = [...acknowledged];
      const again = await request(server.port, `hat.localhost:${server.port}`, '/api/signup', {
        method: 'POST',
        body: { username: taken, email: 'someone.else@example.com', pass: STRONG_PASSWORD, passRepeat: STRONG_PASSWORD },
      });
      assert.equal(again.status, 409);
    } finally {
      server.process.kill('SIGTERM');
      assert.equal(await server.exited, 0, 'a SIGTERM ends the server cleanly');
    }
  });
});

describe('Unique names and emails are the store index’s job (SPEC 9, 10)', () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-unique-'));
    store = openSqliteStore(dir);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hat = (name: string, email: string): HatRecord => ({
    name,
    ownerId: `owner-${name}-${email}`,
    email,
    fullName: '',
    passwordHash: 'scrypt$10$8$1$c2FsdA$aGFzaA',
    disabled: false,
    tokensNotBefore: 0,
    revision: 1,
    createdAt: new Date(),
  });
  const key = (kid: string, name: string): KeyRecord => ({
    kid,
    hat: name,
    publicPem: '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n',
    privateKeyEnc: 'v1.x.y.z',
    createdAt: new Date(),
  });

  async function violation(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof UniqueViolation, `expected UniqueViolation, got ${String(err)}`);
      return err.field;
    }
    assert.fail('the second create was accepted');
  }

  it('refuses a second HAT of the same name with UniqueViolation("name"), keeping nothing of it', async () => {
    await store.hats.create(hat('uma', 'uma@example.com'), key('kid-uma-1', 'uma'));
    assert.equal(await violation(store.hats.create(hat('uma', 'other@example.com'), key('kid-uma-2', 'uma'))), 'name');
    assert.equal((await store.hats.find('uma'))?.email, 'uma@example.com', 'the first one stands');
    assert.deepEqual((await store.keys.list('uma')).map((k) => k.kid), ['kid-uma-1'], 'the second key was not kept');
    assert.equal(await store.hats.findByEmail('other@example.com'), null);
  });

  it('refuses a second HAT with the same email with UniqueViolation("email"), keeping nothing of it', async () => {
    assert.equal(await violation(store.hats.create(hat('vera', 'uma@example.com'), key('kid-vera', 'vera'))), 'email');
    assert.equal(await store.hats.find('vera'), null);
    assert.deepEqual(await store.keys.list('vera'), []);
  });

  it('keeps the HAT out when its key cannot be written', async () => {
    // The key's kid collides with uma's: the key insert fails, so the HAT insert is undone too.
    await assert.rejects(store.hats.create(hat('wendy', 'wendy@example.com'), key('kid-uma-1', 'wendy')));
    assert.equal(await store.hats.find('wendy'), null, 'no HAT without its key');
    assert.equal(await store.hats.findByEmail('wendy@example.com'), null);
    assert.equal(await store.hats.count(), 1);
  });
});
