import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { HatRecord, KeyRecord, Store } from '../../src/store/ports.js';

/**
 * The store contract's cases for key rotation and the operator's HAT administration (ports
 * `keyRotation` and `hatAdmin`), run by `storeContract` against every adapter.
 */
export interface OperatorContractHelpers {
  store: () => Store;
  /** A HAT with its first key, under a name no other test uses. */
  newHat: (prefix?: string) => Promise<HatRecord>;
  keyRecord: (hat: string, createdAt?: Date) => KeyRecord;
  fresh: (prefix: string) => string;
}

export function operatorContract({ store, newHat, keyRecord, fresh }: OperatorContractHelpers): void {
  const later = (seconds: number) => new Date(Date.now() + seconds * 1000);
  const retirementsOf = async (hat: string) =>
    (await store().keyRotation.retirements(hat)).sort((a, b) => a.kid.localeCompare(b.kid)).map(({ kid, revoked }) => ({ kid, revoked }));

  describe('keyRotation', () => {
    it('rotate adds the newest key, retires the earlier one at the given time and bumps the revision', async () => {
      const hat = await newHat('rot');
      const [first] = await store().keys.list(hat.name);
      const next = keyRecord(hat.name, new Date());
      const retireAt = later(3600);
      assert.equal(await store().keyRotation.rotate(next, { retireAt, revoke: false }), true);
      assert.deepEqual((await store().keys.list(hat.name)).map((k) => k.kid), [next.kid, first!.kid]);
      assert.deepEqual(await store().keyRotation.retirements(hat.name), [{ kid: first!.kid, hat: hat.name, retireAt, revoked: false }]);
      assert.equal(await store().hats.revision(hat.name), hat.revision + 1);
    });

    it('a later rotation keeps a sooner retirement; revoke retires every earlier key at once', async () => {
      const hat = await newHat('rot2');
      const [first] = await store().keys.list(hat.name);
      const second = keyRecord(hat.name, new Date());
      const soon = later(60);
      await store().keyRotation.rotate(second, { retireAt: soon, revoke: false });
      const third = keyRecord(hat.name, new Date(Date.now() + 1));
      await store().keyRotation.rotate(third, { retireAt: later(7200), revoke: false });
      const byKid = new Map((await store().keyRotation.retirements(hat.name)).map((r) => [r.kid, r]));
      assert.deepEqual(byKid.get(first!.kid)?.retireAt, soon);
      assert.equal(byKid.has(third.kid), false, 'the newest key is not retired');
      const fourth = keyRecord(hat.name, new Date(Date.now() + 2));
      const now = new Date();
      await store().keyRotation.rotate(fourth, { retireAt: now, revoke: true });
      assert.deepEqual(
        await retirementsOf(hat.name),
        [first!.kid, second.kid, third.kid].sort().map((kid) => ({ kid, revoked: true })),
      );
      assert.ok((await store().keyRotation.retirements(hat.name)).every((r) => r.retireAt.getTime() <= now.getTime()));
      assert.equal(await store().hats.revision(hat.name), hat.revision + 3);
    });

    it('rotate for a HAT that does not exist answers false and stores nothing', async () => {
      const name = fresh('ghostrot');
      assert.equal(await store().keyRotation.rotate(keyRecord(name), { retireAt: later(60), revoke: false }), false);
      assert.deepEqual(await store().keys.list(name), []);
      assert.deepEqual(await store().keyRotation.retirements(name), []);
    });
  });

  describe('hatAdmin', () => {
    it('names lists HAT names in order, with skip and take', async () => {
      const a = await newHat('adma');
      const b = await newHat('admb');
      const all = await store().hatAdmin.names({ skip: 0, take: 100_000 });
      assert.ok(all.includes(a.name) && all.includes(b.name));
      assert.deepEqual(all, [...all].sort());
      assert.deepEqual(await store().hatAdmin.names({ skip: 1, take: 1 }), all.slice(1, 2));
    });

    it('counts counts what the HAT holds, and only its own', async () => {
      const hat = await newHat('cnt');
      const other = await newHat('cnto');
      await store().records.insert(hat.name, [1, 2].map((i) => ({ recordId: randomUUID(), endpoint: 'ns/e', json: `{"i":${i}}`, createdAt: new Date() })));
      await store().sessions.set({ id: randomUUID(), hat: hat.name, data: {}, expiresAt: later(3600) });
      await store().activity.append({ id: randomUUID(), hat: hat.name, at: new Date(), type: 'login', via: 'api' });
      await store().approvals.put({ id: randomUUID(), hat: hat.name, name: 'Shop', origin: 'https://shop.example', tokensNotBefore: 0, createdAt: new Date(), lastUsedAt: null });
      await store().grants.put({ hat: hat.name, applicationId: 'app', enabled: true, permissions: [], version: '1', tokensNotBefore: 0, updatedAt: new Date(), lastUsedAt: null });
      assert.deepEqual(await store().hatAdmin.counts(hat.name), { records: 2, grants: 1, approvals: 1, sessions: 1, activity: 1 });
      assert.deepEqual(await store().hatAdmin.counts(other.name), { records: 0, grants: 0, approvals: 0, sessions: 0, activity: 0 });
    });

    it('remove deletes the HAT with all it holds, reserves its name, and leaves other HATs alone', async () => {
      const hat = await newHat('del');
      const other = await newHat('delo');
      await store().records.insert(hat.name, [{ recordId: randomUUID(), endpoint: 'ns/e', json: '{}', createdAt: new Date() }]);
      await store().records.insert(other.name, [{ recordId: randomUUID(), endpoint: 'ns/e', json: '{}', createdAt: new Date() }]);
      await store().sessions.set({ id: randomUUID(), hat: hat.name, data: {}, expiresAt: later(3600) });
      await store().keyRotation.rotate(keyRecord(hat.name, new Date()), { retireAt: later(60), revoke: false });
      const until = later(30 * 24 * 3600);
      assert.equal(await store().hatAdmin.reservedUntil(hat.name), null);
      assert.equal(await store().hatAdmin.remove(hat.name, until), true);
      assert.equal(await store().hats.find(hat.name), null);
      assert.deepEqual(await store().keys.list(hat.name), []);
      assert.deepEqual(await store().keyRotation.retirements(hat.name), []);
      assert.deepEqual(await store().hatAdmin.counts(hat.name), { records: 0, grants: 0, approvals: 0, sessions: 0, activity: 0 });
      assert.deepEqual(await store().hatAdmin.reservedUntil(hat.name), until);
      assert.equal((await store().hatAdmin.counts(other.name)).records, 1);
      assert.notEqual(await store().hats.find(other.name), null);
      assert.equal(await store().hatAdmin.remove(hat.name, until), false, 'a second removal finds nothing');
    });

    it('clearLeftovers removes what was written for a HAT that no longer exists, and nothing of an existing HAT', async () => {
      const hat = await newHat('left');
      await store().hatAdmin.remove(hat.name, later(60));
      // A request that was running at the deletion writes after it.
      await store().activity.append({ id: randomUUID(), hat: hat.name, at: new Date(), type: 'login', via: 'api' });
      await store().records.insert(hat.name, [{ recordId: randomUUID(), endpoint: 'ns/e', json: '{}', createdAt: new Date() }]);
      const alive = await newHat('lefto');
      await store().activity.append({ id: randomUUID(), hat: alive.name, at: new Date(), type: 'login', via: 'api' });
      await store().hatAdmin.clearLeftovers(hat.name);
      await store().hatAdmin.clearLeftovers(alive.name);
      assert.deepEqual(await store().hatAdmin.counts(hat.name), { records: 0, grants: 0, approvals: 0, sessions: 0, activity: 0 });
      assert.equal((await store().hatAdmin.counts(alive.name)).activity, 1);
      assert.equal((await store().keys.list(alive.name)).length, 1);
    });

    it('reservedUntil ignores a reservation that has run out', async () => {
      const hat = await newHat('resv');
      await store().hatAdmin.remove(hat.name, new Date(Date.now() - 1000));
      assert.equal(await store().hatAdmin.reservedUntil(hat.name), null);
    });
  });
}
