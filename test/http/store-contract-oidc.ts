import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/store/ports.js';

const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

/** The oidc port (oidc-provider's records, SPEC 12), as part of the store contract. */
export function oidcContract(store: () => Store): void {
  describe('oidc (oidc-provider records)', () => {
    it('keeps a payload per HAT, model and id, and replaces it on upsert', async () => {
      const hat = `h${randomUUID().slice(0, 8)}`;
      const id = randomUUID();
      await store().oidc.upsert(hat, 'AccessToken', id, { payload: { jti: id, scope: 'openid', nested: { 'a.b': 1 } }, grantId: 'g1', expiresAt: later(60) });
      assert.deepEqual(await store().oidc.find(hat, 'AccessToken', id), { jti: id, scope: 'openid', nested: { 'a.b': 1 } });
      assert.equal(await store().oidc.find('other', 'AccessToken', id), null, 'another HAT never sees it');
      assert.equal(await store().oidc.find(hat, 'RefreshToken', id), null, 'another model never sees it');
      await store().oidc.upsert(hat, 'AccessToken', id, { payload: { jti: id, scope: 'openid email' }, expiresAt: later(60) });
      assert.deepEqual(await store().oidc.find(hat, 'AccessToken', id), { jti: id, scope: 'openid email' });
    });

    it('never returns an expired record; a record without expiry stays', async () => {
      const hat = `h${randomUUID().slice(0, 8)}`;
      await store().oidc.upsert(hat, 'AuthorizationCode', 'short', { payload: { a: 1 }, expiresAt: later(1) });
      await store().oidc.upsert(hat, 'ClientSecret', 'forever', { payload: { b: 2 }, expiresAt: null });
      assert.deepEqual(await store().oidc.find(hat, 'AuthorizationCode', 'short'), { a: 1 });
      await sleep(1100);
      assert.equal(await store().oidc.find(hat, 'AuthorizationCode', 'short'), null);
      assert.deepEqual(await store().oidc.find(hat, 'ClientSecret', 'forever'), { b: 2 });
    });

    it('consume marks a record as used, and find then says when', async () => {
      const hat = `h${randomUUID().slice(0, 8)}`;
      await store().oidc.upsert(hat, 'AuthorizationCode', 'c1', { payload: { a: 1 }, expiresAt: later(60) });
      await store().oidc.consume(hat, 'AuthorizationCode', 'c1', 1_700_000_000);
      assert.deepEqual(await store().oidc.find(hat, 'AuthorizationCode', 'c1'), { a: 1, consumed: 1_700_000_000 });
    });

    it('finds sessions by uid and device codes by user code; destroy removes', async () => {
      const hat = `h${randomUUID().slice(0, 8)}`;
      await store().oidc.upsert(hat, 'Session', 's1', { payload: { uid: 'u1', accountId: 'a' }, uid: 'u1', expiresAt: later(60) });
      await store().oidc.upsert(hat, 'DeviceCode', 'd1', { payload: { userCode: 'ABCD' }, userCode: 'ABCD', expiresAt: later(60) });
      assert.deepEqual(await store().oidc.findByUid(hat, 'Session', 'u1'), { uid: 'u1', accountId: 'a' });
      assert.equal(await store().oidc.findByUid('other', 'Session', 'u1'), null);
      assert.deepEqual(await store().oidc.findByUserCode(hat, 'DeviceCode', 'ABCD'), { userCode: 'ABCD' });
      await store().oidc.destroy(hat, 'Session', 's1');
      assert.equal(await store().oidc.findByUid(hat, 'Session', 'u1'), null);
    });

    it('revokeByGrantId removes every token of the grant on that HAT only, and keeps the Grant', async () => {
      const hat = `h${randomUUID().slice(0, 8)}`;
      const grant = { payload: { clientId: 'c', accountId: 'a' }, clientId: 'c', accountId: 'a', expiresAt: later(60) };
      await store().oidc.upsert(hat, 'Grant', 'g1', grant);
      await store().oidc.upsert(hat, 'AccessToken', 'at1', { payload: { grantId: 'g1' }, grantId: 'g1', expiresAt: later(60) });
      await store().oidc.upsert(hat, 'RefreshToken', 'rt1', { payload: { grantId: 'g1' }, grantId: 'g1', expiresAt: later(60) });
      await store().oidc.upsert(hat, 'AccessToken', 'at2', { payload: { grantId: 'g2' }, grantId: 'g2', expiresAt: later(60) });
      await store().oidc.upsert('other', 'AccessToken', 'at1', { payload: { grantId: 'g1' }, grantId: 'g1', expiresAt: later(60) });
      await store().oidc.revokeByGrantId(hat, 'g1');
      assert.equal(await store().oidc.find(hat, 'AccessToken', 'at1'), null);
      assert.equal(await store().oidc.find(hat, 'RefreshToken', 'rt1'), null);
      assert.ok(await store().oidc.find(hat, 'AccessToken', 'at2'));
      assert.ok(await store().oidc.find('other', 'AccessToken', 'at1'));
      assert.ok(await store().oidc.find(hat, 'Grant', 'g1'));
    });

    it('lists a HAT\'s grants newest first, finds the grant of a client and account, and notes use', async () => {
      const hat = `h${randomUUID().slice(0, 8)}`;
      await store().oidc.upsert(hat, 'Grant', 'g1', { payload: { clientId: 'c1', accountId: 'a' }, clientId: 'c1', accountId: 'a', expiresAt: later(60) });
      await sleep(5);
      await store().oidc.upsert(hat, 'Grant', 'g2', { payload: { clientId: 'c2', accountId: 'a' }, clientId: 'c2', accountId: 'a', expiresAt: later(60) });
      const rows = await store().oidc.grants(hat);
      assert.deepEqual(rows.map((r) => r.id), ['g2', 'g1']);
      assert.equal(rows[0]!.lastUsedAt, null);
      assert.equal(await store().oidc.grantFor(hat, 'c1', 'a'), 'g1');
      assert.equal(await store().oidc.grantFor(hat, 'c1', 'b'), null);
      const at = new Date(Date.UTC(2025, 0, 1));
      await store().oidc.touchGrant(hat, 'g1', at);
      const touched = (await store().oidc.grants(hat)).find((r) => r.id === 'g1')!;
      assert.equal(touched.lastUsedAt?.getTime(), at.getTime());
      await store().oidc.upsert(hat, 'Grant', 'g1', { payload: { clientId: 'c1', accountId: 'a', more: true }, clientId: 'c1', accountId: 'a', expiresAt: later(60) });
      assert.equal((await store().oidc.grants(hat)).find((r) => r.id === 'g1')!.lastUsedAt?.getTime(), at.getTime(), 'an upsert keeps last use');
    });
  });
}
