import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { GrantRecord, HatRecord, KeyRecord, Store } from '../../../src/store/ports.js';

/**
 * What several server processes on one database need from the store (SPEC 10): two stores are
 * opened on the same database (two connections to one SQLite file here; two clients of one
 * replica set with MONGODB_URI) and race each other. Each test makes its own HATs.
 */
export interface TwoStores {
  a: Store;
  b: Store;
  cleanup(): Promise<void>;
}

let counter = 0;
const fresh = (prefix: string) => `${prefix}${process.pid.toString(36)}${(++counter).toString(36)}`;

function hatRecord(name: string): HatRecord {
  return {
    name,
    ownerId: randomUUID(),
    email: `${name}@example.com`,
    fullName: '',
    passwordHash: 'hash-1',
    disabled: false,
    tokensNotBefore: 1000,
    revision: 1,
    createdAt: new Date(),
  };
}

function keyRecord(hat: string): KeyRecord {
  const kid = fresh('kid');
  return { kid, hat, publicPem: `pem ${kid}`, privateKeyEnc: `enc ${kid}`, createdAt: new Date() };
}

function grant(hat: string, applicationId: string, enabled: boolean, tokensNotBefore: number): GrantRecord {
  return {
    hat,
    applicationId,
    enabled,
    permissions: [{ namespace: 'notes', access: 'read' }],
    version: '1.0.0',
    tokensNotBefore,
    updatedAt: new Date(),
    lastUsedAt: null,
  };
}

export function concurrencyContract(name: string, open: () => Promise<TwoStores>, options: { skip?: string } = {}): void {
  describe(name, { skip: options.skip }, () => {
    let two: TwoStores;
    before(async () => {
      two = await open();
    });
    after(() => two?.cleanup());

    async function newHat(): Promise<string> {
      const hat = hatRecord(fresh('race'));
      await two.a.hats.create(hat, keyRecord(hat.name));
      return hat.name;
    }

    describe('security stamps never go backwards', () => {
      it('an enable that read the grant before a concurrent disable keeps the disable’s stamp', async () => {
        const hat = await newHat();
        await two.a.grants.put(grant(hat, 'app', true, 2000));
        const readByEnable = await two.a.grants.get(hat, 'app');
        // The other process disables: tokens issued before 3000 are revoked.
        await two.b.grants.put(grant(hat, 'app', false, 3000));
        // The enable writes back what it read, with its old stamp.
        await two.a.grants.put({ ...readByEnable!, enabled: true, version: '1.1.0' });
        const now = await two.b.grants.get(hat, 'app');
        assert.equal(now!.tokensNotBefore, 3000, 'the revocation’s stamp was lowered');
        assert.equal(now!.version, '1.1.0');
      });

      it('an approval written back with an older stamp keeps the newer one', async () => {
        const hat = await newHat();
        const approval = { id: randomUUID(), hat, name: 'Site', origin: 'https://site.example', tokensNotBefore: 5000, createdAt: new Date(), lastUsedAt: null };
        await two.a.approvals.put(approval);
        await two.b.approvals.put({ ...approval, tokensNotBefore: 4000 });
        assert.equal((await two.a.approvals.find(hat, 'Site', 'https://site.example'))!.tokensNotBefore, 5000);
      });

      it('a password change never lowers the HAT’s stamp', async () => {
        const hat = await newHat();
        await two.a.hats.setPassword(hat, 'hash-2', 9000);
        await two.b.hats.setPassword(hat, 'hash-3', 8000);
        const found = (await two.a.hats.find(hat))!;
        assert.equal(found.tokensNotBefore, 9000);
        assert.equal(found.passwordHash, 'hash-3');
      });

      it('a password change that ends services raises every grant’s and approval’s stamp, never lowering one', async () => {
        const hat = await newHat();
        await two.a.grants.put(grant(hat, 'early', true, 100));
        await two.a.grants.put(grant(hat, 'late', false, 99_999));
        const approval = { id: randomUUID(), hat, name: 'Site', origin: 'https://site.example', tokensNotBefore: 100, createdAt: new Date(), lastUsedAt: null };
        await two.a.approvals.put(approval);
        const revision = (await two.a.hats.revision(hat))!;
        await two.b.hats.setPassword(hat, 'hash-2', 7000, true);
        assert.equal((await two.a.grants.get(hat, 'early'))!.tokensNotBefore, 7000);
        assert.equal((await two.a.grants.get(hat, 'late'))!.tokensNotBefore, 99_999);
        assert.equal((await two.a.approvals.get(hat, approval.id))!.tokensNotBefore, 7000);
        assert.ok((await two.a.hats.revision(hat))! > revision);
      });

      it('without ending services, grants and approvals keep their stamps', async () => {
        const hat = await newHat();
        await two.a.grants.put(grant(hat, 'kept', true, 100));
        await two.b.hats.setPassword(hat, 'hash-2', 7000, false);
        assert.equal((await two.a.grants.get(hat, 'kept'))!.tokensNotBefore, 100);
      });
    });

    describe('races a replica set must settle', () => {
      it('two processes signing up the same name, or the same email, at once: exactly one wins', async () => {
        const name = fresh('twin');
        const results = await Promise.allSettled([
          two.a.hats.create(hatRecord(name), keyRecord(name)),
          two.b.hats.create({ ...hatRecord(name), email: `${name}-b@example.com` }, keyRecord(name)),
        ]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
        assert.equal((await two.a.keys.list(name)).length, 1, 'the loser left no key behind');
        const email = `${fresh('mail')}@example.com`;
        const [x, y] = [fresh('first'), fresh('second')];
        const byEmail = await Promise.allSettled([
          two.a.hats.create({ ...hatRecord(x), email }, keyRecord(x)),
          two.b.hats.create({ ...hatRecord(y), email }, keyRecord(y)),
        ]);
        assert.equal(byEmail.filter((r) => r.status === 'fulfilled').length, 1);
      });

      it('every change from either process bumps the revision once: none is lost', async () => {
        const hat = await newHat();
        const before = (await two.a.hats.revision(hat))!;
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? two.a : two.b).grants.put(grant(hat, `app${i}`, true, 100))),
        );
        assert.equal(await two.b.hats.revision(hat), before + 10);
      });

      it('an enable racing a disable: whatever the order, the disable’s stamp stays', async () => {
        const hat = await newHat();
        await two.a.grants.put(grant(hat, 'app', true, 100));
        const seen = (await two.a.grants.get(hat, 'app'))!;
        await Promise.all([two.a.grants.put({ ...seen, enabled: true }), two.b.grants.put(grant(hat, 'app', false, 500))]);
        assert.equal((await two.a.grants.get(hat, 'app'))!.tokensNotBefore, 500);
      });

      it('a batch of 1,000 records is stored whole, in order, and concurrent batches do not interleave', async () => {
        const hat = await newHat();
        const endpoint = 'race/batch';
        const batch = (tag: string) =>
          Array.from({ length: 1000 }, (_, i) => ({ recordId: randomUUID(), endpoint, json: JSON.stringify({ tag, i }), createdAt: new Date() }));
        await Promise.all([two.a.records.insert(hat, batch('a')), two.b.records.insert(hat, batch('b'))]);
        const read = await two.a.records.read(hat, endpoint, { ordering: 'ascending', skip: 0, take: 2000 });
        assert.equal(read.length, 2000);
        const tags = read.map((r) => (JSON.parse(r.json) as { tag: string; i: number }));
        const firstTag = tags[0]!.tag;
        assert.ok(tags.slice(0, 1000).every((t, i) => t.tag === firstTag && t.i === i), 'the first batch is whole and in order');
        assert.ok(tags.slice(1000).every((t, i) => t.tag !== firstTag && t.i === i), 'the second batch follows, whole and in order');
      });

      it('orderBy over 5,000 records answers the top page correctly within a time budget', async () => {
        const hat = await newHat();
        const endpoint = 'race/ordered';
        const records = Array.from({ length: 5000 }, (_, i) => ({
          recordId: randomUUID(),
          endpoint,
          json: JSON.stringify({ n: (i * 7919) % 5000, pad: 'x'.repeat(200) }),
          createdAt: new Date(),
        }));
        for (let i = 0; i < records.length; i += 1000) await two.a.records.insert(hat, records.slice(i, i + 1000));
        const started = Date.now();
        const page = await two.b.records.read(hat, endpoint, { orderBy: 'n', ordering: 'descending', skip: 10, take: 5 });
        const elapsed = Date.now() - started;
        assert.deepEqual(page.map((r) => (JSON.parse(r.json) as { n: number }).n), [4989, 4988, 4987, 4986, 4985]);
        // Generous for a loaded machine: the point is that it answers, not a speed target.
        assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
      });
    });

    describe('re-hashing a password at login', () => {
      it('swaps the hash only while it is still the one checked, without bumping the revision', async () => {
        const hat = await newHat();
        const revision = await two.a.hats.revision(hat);
        assert.equal(await two.a.hats.replacePasswordHash(hat, 'hash-1', 'argon-1'), true);
        assert.equal(await two.a.hats.revision(hat), revision);
        // Another process changed the password meanwhile: the re-hash of the old one must not win.
        await two.b.hats.setPassword(hat, 'changed', 2000);
        assert.equal(await two.a.hats.replacePasswordHash(hat, 'argon-1', 'argon-stale'), false);
        assert.equal((await two.a.hats.find(hat))!.passwordHash, 'changed');
      });
    });
  });
}
