import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { UniqueViolation } from '../../src/errors.js';
import type { HatRecord, ResetRecord, Store } from '../../src/store/ports.js';

/** The store contract's cases for one-time mail links (SPEC 13); called from store-contract.ts. */
export function resetsContract(store: () => Store, newHat: (prefix?: string) => Promise<HatRecord>): void {
  const now = new Date();
  const link = (hat: string, overrides: Partial<ResetRecord> = {}): ResetRecord => ({
    hash: randomBytes(32).toString('hex'),
    hat,
    purpose: 'password',
    email: '',
    fingerprint: 'fp1',
    createdAt: new Date(now.getTime() - 1000),
    expiresAt: new Date(now.getTime() + 30 * 60_000),
    ...overrides,
  });

  describe('resets', () => {
    it('find returns a live link with every field, without using it', async () => {
      const hat = await newHat('reset');
      const l = link(hat.name, { purpose: 'email', email: 'new@example.com' });
      await store().resets.issue(l);
      assert.deepEqual(await store().resets.find(l.hash, now), l);
      assert.deepEqual(await store().resets.find(l.hash, now), l);
      assert.equal(await store().resets.find(randomBytes(32).toString('hex'), now), null);
    });

    it('claim gives a link once; a second claim and a later find get nothing', async () => {
      const hat = await newHat('reset');
      const l = link(hat.name);
      await store().resets.issue(l);
      const claims = await Promise.all([store().resets.claim(l.hash, now), store().resets.claim(l.hash, now)]);
      assert.equal(claims.filter((c) => c !== null).length, 1);
      assert.deepEqual(claims.find((c) => c !== null), l);
      assert.equal(await store().resets.claim(l.hash, now), null);
      assert.equal(await store().resets.find(l.hash, now), null);
    });

    it('an expired link is neither found nor claimed', async () => {
      const hat = await newHat('reset');
      const l = link(hat.name, { expiresAt: new Date(now.getTime() - 1) });
      await store().resets.issue(l);
      assert.equal(await store().resets.find(l.hash, now), null);
      assert.equal(await store().resets.claim(l.hash, now), null);
    });

    it('a newer link of the same purpose voids the earlier one; other purposes and HATs keep theirs', async () => {
      const [hat, other] = [await newHat('reset'), await newHat('reset')];
      const first = link(hat.name);
      const confirm = link(hat.name, { purpose: 'email', email: 'a@example.com' });
      const others = link(other.name);
      for (const l of [first, confirm, others]) await store().resets.issue(l);
      const second = link(hat.name);
      await store().resets.issue(second);
      assert.equal(await store().resets.find(first.hash, now), null);
      assert.deepEqual(await store().resets.find(second.hash, now), second);
      assert.deepEqual(await store().resets.find(confirm.hash, now), confirm);
      assert.deepEqual(await store().resets.find(others.hash, now), others);
      await store().resets.revoke(hat.name, 'password');
      assert.equal(await store().resets.find(second.hash, now), null);
      assert.deepEqual(await store().resets.find(confirm.hash, now), confirm);
    });

    it('keeps the sign-up hand-off (purpose signin) beside a password link of the same HAT, each used once', async () => {
      const hat = await newHat('reset');
      const reset = link(hat.name);
      const handoff = link(hat.name, { purpose: 'signin', expiresAt: new Date(now.getTime() + 120_000) });
      await store().resets.issue(reset);
      await store().resets.issue(handoff);
      assert.deepEqual(await store().resets.find(reset.hash, now), reset);
      assert.deepEqual(await store().resets.claim(handoff.hash, now), handoff);
      assert.equal(await store().resets.claim(handoff.hash, now), null);
      assert.deepEqual(await store().resets.find(reset.hash, now), reset);
    });

    it('confirmEmail sets the address, records it as confirmed and bumps the revision', async () => {
      const hat = await newHat('reset');
      assert.equal(await store().resets.verifiedEmail(hat.name), '');
      const before = await store().hats.revision(hat.name);
      await store().resets.confirmEmail(hat.name, `${hat.name}-new@example.com`);
      assert.equal((await store().hats.find(hat.name))?.email, `${hat.name}-new@example.com`);
      assert.equal(await store().resets.verifiedEmail(hat.name), `${hat.name}-new@example.com`);
      assert.ok(((await store().hats.revision(hat.name)) ?? 0) > (before ?? 0));
    });

    it("confirmEmail refuses another HAT's address with UniqueViolation('email') and changes nothing", async () => {
      const [hat, other] = [await newHat('reset'), await newHat('reset')];
      await assert.rejects(store().resets.confirmEmail(hat.name, other.email), (err: unknown) => {
        assert.ok(err instanceof UniqueViolation);
        assert.equal(err.field, 'email');
        return true;
      });
      assert.equal((await store().hats.find(hat.name))?.email, hat.email);
      assert.equal(await store().resets.verifiedEmail(hat.name), '');
    });
  });
}
