import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, importJWK, importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import { KeyVault } from '../../src/services/keys.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/ports.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** SPEC 4, 5, 10: each HAT's own RSA key, published as PEM and JWKS, private half encrypted at rest. */

interface Jwk {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
  n?: string;
  e?: string;
  d?: string;
  p?: string;
}

describe('GET /publickey and /.well-known/jwks.json (SPEC 5)', () => {
  let server: TestServer;
  let aliceToken: string;

  before(async () => {
    server = await startTestServer();
    aliceToken = (await server.createHat('alice')).token;
    await server.createHat('bob');
  });
  after(() => server.stop());

  it('serves the HAT key as a PEM public key in text/plain', async () => {
    const reply = await server.call('alice', '/publickey');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain/);
    assert.match(reply.text, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/);
    const key = createPublicKey(reply.text);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.ok((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
  });

  it('lets caches keep it briefly, per Host', async () => {
    for (const p of ['/publickey', '/.well-known/jwks.json']) {
      const reply = await server.call('alice', p);
      assert.match(String(reply.headers.vary), /\bHost\b/i, `${p} Vary`);
      const cache = String(reply.headers['cache-control']);
      const maxAge = Number(/max-age=(\d+)/.exec(cache)?.[1]);
      assert.ok(maxAge > 0 && maxAge <= 3600, `${p}: a short max-age, got "${cache}"`);
      assert.doesNotMatch(cache, /no-store|immutable/);
    }
  });

  it('answers 304 to If-None-Match with its ETag, and 200 to another ETag', async () => {
    for (const p of ['/publickey', '/.well-known/jwks.json']) {
      const first = await server.call('alice', p);
      const etag = first.headers.etag;
      assert.ok(etag, `${p} has an ETag`);
      const again = await server.call('alice', p, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304, p);
      assert.equal(again.text, '');
      const other = await server.call('alice', p, { headers: { 'if-none-match': '"something-else"' } });
      assert.equal(other.status, 200, p);
      assert.equal(other.text, first.text);
      const bobs = await server.call('bob', p, { headers: { 'if-none-match': etag } });
      assert.equal(bobs.status, 200, `${p}: alice's ETag is not fresh for bob`);
    }
  });

  it('publishes a JWKS whose keys carry kid, kty RSA, alg RS256 and a 2048-bit modulus, and no private part', async () => {
    const reply = await server.call('alice', '/.well-known/jwks.json');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    const { keys } = reply.json<{ keys: Jwk[] }>();
    assert.ok(keys.length >= 1);
    for (const k of keys) {
      assert.ok(k.kid && k.kid.length > 0);
      assert.equal(k.kty, 'RSA');
      assert.equal(k.alg, 'RS256');
      assert.equal(Buffer.from(k.n!, 'base64url').length * 8, 2048);
      assert.equal(k.d, undefined, 'no private exponent');
      assert.equal(k.p, undefined, 'no private prime');
    }
    assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length, 'kids are unique');
  });

  it('publishes the same key as PEM and as the first JWK', async () => {
    const pem = (await server.call('alice', '/publickey')).text;
    const [jwk] = (await server.call('alice', '/.well-known/jwks.json')).json<{ keys: Jwk[] }>().keys;
    const fromPem = createPublicKey(pem).export({ format: 'jwk' });
    assert.equal(fromPem.n, jwk!.n);
    assert.equal(fromPem.e, jwk!.e);
  });

  it('signs owner tokens with that key, naming its kid', async () => {
    const pem = (await server.call('alice', '/publickey')).text;
    const [jwk] = (await server.call('alice', '/.well-known/jwks.json')).json<{ keys: Jwk[] }>().keys;
    assert.equal(decodeProtectedHeader(aliceToken).kid, jwk!.kid);
    const { payload } = await jwtVerify(aliceToken, await importSPKI(pem, 'RS256'), { algorithms: ['RS256'] });
    assert.equal(payload.iss, server.hatHost('alice'));
    const viaJwk = await jwtVerify(aliceToken, await importJWK(jwk as never, 'RS256'));
    assert.equal(viaJwk.payload.sub, payload.sub);
  });

  it('gives each HAT a different key', async () => {
    const alice = (await server.call('alice', '/publickey')).text;
    const bob = (await server.call('bob', '/publickey')).text;
    assert.notEqual(alice, bob);
    const aliceKids = (await server.call('alice', '/.well-known/jwks.json')).json<{ keys: Jwk[] }>().keys.map((k) => k.kid);
    const bobKids = (await server.call('bob', '/.well-known/jwks.json')).json<{ keys: Jwk[] }>().keys.map((k) => k.kid);
    assert.equal(aliceKids.filter((k) => bobKids.includes(k)).length, 0);
    await assert.rejects(jwtVerify(aliceToken, await importSPKI(bob, 'RS256')), 'bob\'s key does not verify alice\'s token');
  });
});

describe('Private keys at rest (SPEC 10)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    for (const name of ['carol', 'dave', 'erin']) await server.createHat(name);
  });
  after(() => server.stop());

  it('leaves no private key text in the SQLite file or its WAL', () => {
    const files = ['hat.sqlite', 'hat.sqlite-wal'].map((f) => path.join(server.dataDir, f)).filter((f) => existsSync(f));
    assert.ok(files.length >= 1);
    const all = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.equal(all.indexOf('PRIVATE KEY'), -1, 'a private key in PEM');
    // The base64 prefix of an RSA PKCS#8 key (a PEM without its armour).
    assert.equal(all.indexOf('IBADANBgkqhkiG9w0BAQEFAASC'), -1, 'a private key in base64');
    assert.notEqual(all.indexOf('BEGIN PUBLIC KEY'), -1, 'the scan does see the key records');
  });

  it('stores a record that opens only with the right KEY_ENCRYPTION_SECRET and kid', async () => {
    const store = openSqliteStore(server.dataDir);
    try {
      const [record] = await store.keys.list('carol');
      assert.ok(record);
      assert.doesNotMatch(record.privateKeyEnc, /PRIVATE KEY/);
      const pem = new KeyVault(server.config.keyEncryptionSecret).open(record.privateKeyEnc, record.kid);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
      // The opened key is the private half of the published key.
      const token = await new SignJWT({ probe: true }).setProtectedHeader({ alg: 'RS256' }).sign(await importPKCS8(pem, 'RS256'));
      await jwtVerify(token, await importSPKI((await server.call('carol', '/publickey')).text, 'RS256'));

      assert.throws(() => new KeyVault('another secret').open(record.privateKeyEnc, record.kid), 'a wrong secret');
      const [daves] = await store.keys.list('dave');
      assert.throws(() => new KeyVault(server.config.keyEncryptionSecret).open(record.privateKeyEnc, daves!.kid), 'moved to another record');
      const tampered = record.privateKeyEnc.slice(0, -4) + (record.privateKeyEnc.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      assert.throws(() => new KeyVault(server.config.keyEncryptionSecret).open(tampered, record.kid), 'tampered');
    } finally {
      await store.close();
    }
  });
});

describe('A key store opened with another KEY_ENCRYPTION_SECRET (SPEC 10)', () => {
  it('still publishes the public keys but signs nothing, and says nothing of why', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hat-keys-'));
    try {
      const first = await startTestServer({ DATA_DIR: dataDir, KEY_ENCRYPTION_SECRET: 'the first secret' });
      await first.createHat('frank');
      await first.stop();
      const second = await startTestServer({ DATA_DIR: dataDir, KEY_ENCRYPTION_SECRET: 'a different secret' });
      try {
        assert.equal((await second.call('frank', '/publickey')).status, 200, 'public keys need no secret');
        const login = await second.call('frank', '/users/access_token', {
          headers: { username: 'frank', password: encodeURIComponent(STRONG_PASSWORD) },
        });
        assert.ok(login.status >= 500, `expected a 5xx, got ${login.status}`);
        assert.equal(login.headers['x-auth-token'], undefined);
        assert.doesNotMatch(login.text, /decrypt|auth tag|cipher|PRIVATE|eyJ/i);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('Keys are loaded and imported once (SPEC 4)', () => {
  let server: TestServer;
  let dir: string;
  const listCalls = new Map<string, number>();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-keyspy-'));
    const inner = openSqliteStore(dir);
    const spied: Store = {
      ...inner,
      keys: {
        ...inner.keys,
        list: (hat: string) => {
          listCalls.set(hat, (listCalls.get(hat) ?? 0) + 1);
          return inner.keys.list(hat);
        },
      },
    };
    server = await startTestServer({}, spied);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a HAT key from the store once, however many requests use it', async () => {
    const { token } = await server.createHat('gina');
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) {
      work.push(server.call('gina', '/publickey'));
      work.push(server.call('gina', '/.well-known/jwks.json'));
      work.push(server.call('gina', '/users/access_token/validate', { headers: { 'x-auth-token': token } }));
    }
    const replies = (await Promise.all(work)) as Array<{ status: number }>;
    assert.ok(replies.every((r) => r.status === 200));
    for (let i = 0; i < 3; i++) await server.ownerToken('gina');
    assert.equal(listCalls.get('gina'), 1, `keys.list('gina') was called ${listCalls.get('gina')} times`);
  });
});
