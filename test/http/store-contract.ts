import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UniqueViolation } from '../../src/errors.js';
import { resetsContract } from './store-contract-resets.js';
import { oidcContract } from './store-contract-oidc.js';
import { parseRegistration, UNSET_FIELDS } from '../../src/services/application-model.js';
import { ApplicationRegistry } from '../../src/services/registry.js';
import { notablesManifest } from '../support/manifests.js';
import { operatorContract } from './store-contract-operator.js';
import { application } from '../support/fixtures.js';
import type {
  ActivityEntry,
  ApplicationRecord,
  ApprovalRecord,
  DataRecord,
  GrantRecord,
  HatRecord,
  KeyRecord,
  ReadOptions,
  Store,
} from '../../src/store/ports.js';

/**
 * The one behaviour every store adapter owes the services (src/store/ports.ts). Each adapter's test
 * file runs it against a fresh store; the store is shared by the tests of one run, so every test
 * makes its own HATs, ids and endpoints and never depends on another's data.
 */
export interface OpenedStore {
  store: Store;
  /** Closes the store and removes whatever the run left behind. */
  cleanup: () => Promise<void>;
}

let counter = 0;
/** A name no other test of this run uses: lower-case letters and digits, like a HAT name. */
const fresh = (prefix: string) => `${prefix}${process.pid.toString(36)}${(++counter).toString(36)}`;

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function hatRecord(name: string, overrides: Partial<HatRecord> = {}): HatRecord {
  return {
    name,
    ownerId: randomUUID(),
    email: `${name}@example.com`,
    fullName: 'Ada Lovelace',
    passwordHash: `scrypt$${name}`,
    disabled: false,
    tokensNotBefore: 1_700_000_000,
    revision: 1,
    createdAt: at(0),
    ...overrides,
  };
}

function keyRecord(hat: string, createdAt = at(0), kid = fresh('kid')): KeyRecord {
  return { kid, hat, publicPem: `-----BEGIN PUBLIC KEY-----\n${kid}\n-----END PUBLIC KEY-----\n`, privateKeyEnc: `enc:${kid}`, createdAt };
}

async function rejectsUnique(promise: Promise<unknown>, field: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UniqueViolation, `expected UniqueViolation(${field}), got ${String(err)}`);
    assert.equal(err.field, field);
    return true;
  });
}

export function storeContract(name: string, open: () => Promise<OpenedStore>, options: { skip?: string } = {}): void {
  describe(name, { skip: options.skip }, () => {
    let opened: OpenedStore | undefined;
    const store = (): Store => {
      assert.ok(opened, 'the store did not open');
      return opened.store;
    };
    before(async () => {
      opened = await open();
    });
    after(async () => {
      await opened?.cleanup();
    });

    /** A HAT with its first key, ready for the other ports. */
    async function newHat(prefix = 'hat', overrides: Partial<HatRecord> = {}): Promise<HatRecord> {
      const hat = hatRecord(fresh(prefix), overrides);
      await store().hats.create(hat, keyRecord(hat.name));
      return hat;
    }
    const revision = async (hat: string) => {
      const rev = await store().hats.revision(hat);
      assert.notEqual(rev, null, `${hat} should exist`);
      return rev as number;
    };

    operatorContract({ store, newHat, keyRecord, fresh });

    describe('hats', () => {
      it('create stores the HAT with its first key, and find returns every field', async () => {
        const hat = hatRecord(fresh('alice'), { fullName: 'Ålice Ünïcode', revision: 7, disabled: true });
        const key = keyRecord(hat.name, at(5));
        await store().hats.create(hat, key);
        assert.deepEqual(await store().hats.find(hat.name), hat);
        assert.deepEqual(await store().keys.list(hat.name), [key]);
      });

      it('find and findByEmail answer null for what does not exist', async () => {
        assert.equal(await store().hats.find(fresh('nobody')), null);
        assert.equal(await store().hats.findByEmail(`${fresh('nobody')}@example.com`), null);
      });

      it('findByEmail finds the HAT by its owner email', async () => {
        const hat = await newHat('byemail');
        assert.deepEqual(await store().hats.findByEmail(hat.email), hat);
      });

      it('create refuses a taken name as UniqueViolation(name) and stores nothing of the refused HAT', async () => {
        const first = await newHat('dupname');
        const second = hatRecord(first.name, { email: `${fresh('other')}@example.com` });
        const key = keyRecord(first.name);
        await rejectsUnique(store().hats.create(second, key), 'name');
        assert.deepEqual(await store().hats.find(first.name), first);
        assert.equal(await store().hats.findByEmail(second.email), null);
        assert.ok(!(await store().keys.list(first.name)).some((k) => k.kid === key.kid), 'the refused key must not be stored');
      });

      it('create refuses a taken email as UniqueViolation(email) and stores neither the HAT nor its key', async () => {
        const first = await newHat('dupemail');
        const second = hatRecord(fresh('dupemail'), { email: first.email });
        await rejectsUnique(store().hats.create(second, keyRecord(second.name)), 'email');
        assert.equal(await store().hats.find(second.name), null);
        assert.deepEqual(await store().keys.list(second.name), []);
      });

      it('create refuses a taken ownerId as UniqueViolation(ownerId)', async () => {
        const first = await newHat('dupowner');
        const second = hatRecord(fresh('dupowner'), { ownerId: first.ownerId });
        await rejectsUnique(store().hats.create(second, keyRecord(second.name)), 'ownerId');
        assert.equal(await store().hats.find(second.name), null);
      });

      it('create is all or nothing: a key id already in use leaves no HAT behind', async () => {
        const first = await newHat('atomic');
        const [existingKey] = await store().keys.list(first.name);
        assert.ok(existingKey);
        const second = hatRecord(fresh('atomic'));
        await rejectsUnique(store().hats.create(second, { ...existingKey, hat: second.name }), 'kid');
        assert.equal(await store().hats.find(second.name), null);
        assert.equal(await store().hats.findByEmail(second.email), null);
        assert.equal(await store().hats.revision(second.name), null);
      });

      it('revision is the stored revision, and null for an unknown HAT', async () => {
        const hat = await newHat('rev', { revision: 3 });
        assert.equal(await store().hats.revision(hat.name), 3);
        assert.equal(await store().hats.revision(fresh('nobody')), null);
      });

      it('setPassword replaces the hash and tokensNotBefore and bumps the revision of that HAT only', async () => {
        const hat = await newHat('pw');
        const other = await newHat('pwother');
        await store().hats.setPassword(hat.name, 'scrypt$new', 1_800_000_000);
        const found = await store().hats.find(hat.name);
        assert.equal(found?.passwordHash, 'scrypt$new');
        assert.equal(found?.tokensNotBefore, 1_800_000_000);
        assert.equal(found?.revision, hat.revision + 1);
        assert.deepEqual(await store().hats.find(other.name), other);
      });

      it('setDisabled sets the flag either way and bumps the revision each time', async () => {
        const hat = await newHat('dis');
        await store().hats.setDisabled(hat.name, true);
        assert.equal((await store().hats.find(hat.name))?.disabled, true);
        assert.equal(await revision(hat.name), hat.revision + 1);
        await store().hats.setDisabled(hat.name, false);
        assert.equal((await store().hats.find(hat.name))?.disabled, false);
        assert.equal(await revision(hat.name), hat.revision + 2);
      });

      it('setPassword and setDisabled on an unknown HAT create nothing', async () => {
        const name = fresh('ghost');
        await store().hats.setPassword(name, 'x', 1);
        await store().hats.setDisabled(name, true);
        assert.equal(await store().hats.find(name), null);
      });

      it('count counts the HATs', async () => {
        const before = await store().hats.count();
        await newHat('count');
        await newHat('count');
        assert.equal(await store().hats.count(), before + 2);
      });
    });

    describe('keys', () => {
      it('list is newest first by createdAt, equal times newest added first', async () => {
        const hat = hatRecord(fresh('keys'));
        const k1 = keyRecord(hat.name, at(1));
        await store().hats.create(hat, k1);
        const k3 = keyRecord(hat.name, at(3));
        const k2 = keyRecord(hat.name, at(2));
        const k3b = keyRecord(hat.name, at(3));
        for (const k of [k3, k2, k3b]) await store().keys.add(k);
        assert.deepEqual(await store().keys.list(hat.name), [k3b, k3, k2, k1]);
      });

      it('add bumps the HAT revision', async () => {
        const hat = await newHat('keyrev');
        await store().keys.add(keyRecord(hat.name, at(10)));
        assert.equal(await revision(hat.name), hat.revision + 1);
      });

      it('add refuses a key id in use as UniqueViolation(kid), without bumping the revision', async () => {
        const hat = await newHat('keydup');
        const [key] = await store().keys.list(hat.name);
        assert.ok(key);
        await rejectsUnique(store().keys.add({ ...key, publicPem: 'other' }), 'kid');
        assert.equal(await revision(hat.name), hat.revision);
        assert.deepEqual(await store().keys.list(hat.name), [key]);
      });

      it('add refuses a key for a HAT that does not exist', async () => {
        const name = fresh('ghost');
        await assert.rejects(store().keys.add(keyRecord(name)));
        assert.deepEqual(await store().keys.list(name), []);
      });

      it('list holds only the HAT’s own keys', async () => {
        const a = await newHat('keysa');
        const b = await newHat('keysb');
        const [keyA] = await store().keys.list(a.name);
        assert.ok(keyA);
        assert.deepEqual(await store().keys.list(a.name), [keyA]);
        assert.ok((await store().keys.list(b.name)).every((k) => k.hat === b.name && k.kid !== keyA.kid));
      });
    });

    describe('sessions', () => {
      const future = () => new Date(Date.now() + 3600_000);

      it('get returns what set stored, data included as given', async () => {
        const session = {
          id: fresh('sid'),
          hat: fresh('hat'),
          data: JSON.parse('{"csrf":"x","nested":{"$where":"1","a.b":[1,"two",null],"__proto__":{"polluted":true}}}') as Record<
            string,
            unknown
          >,
          expiresAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000),
        };
        await store().sessions.set(session);
        const got = await store().sessions.get(session.id);
        assert.deepEqual(got, session);
        assert.equal(JSON.stringify(got?.data), JSON.stringify(session.data));
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });

      it('set replaces an existing session of the same id', async () => {
        const id = fresh('sid');
        await store().sessions.set({ id, hat: 'a', data: { n: 1 }, expiresAt: future() });
        const expiresAt = future();
        await store().sessions.set({ id, hat: '', data: { n: 2 }, expiresAt });
        assert.deepEqual(await store().sessions.get(id), { id, hat: '', data: { n: 2 }, expiresAt });
      });

      it('get ignores an expired session', async () => {
        const id = fresh('sid');
        await store().sessions.set({ id, hat: 'a', data: {}, expiresAt: new Date(Date.now() - 1000) });
        assert.equal(await store().sessions.get(id), null);
        assert.equal(await store().sessions.get(fresh('unknown')), null);
      });

      it('destroy removes that session only', async () => {
        const a = fresh('sid');
        const b = fresh('sid');
        await store().sessions.set({ id: a, hat: 'h', data: {}, expiresAt: future() });
        await store().sessions.set({ id: b, hat: 'h', data: {}, expiresAt: future() });
        await store().sessions.destroy(a);
        await store().sessions.destroy(fresh('unknown'));
        assert.equal(await store().sessions.get(a), null);
        assert.notEqual(await store().sessions.get(b), null);
      });

      it('destroyForHat ends every session of that HAT, says how many, and leaves other HATs’ sessions', async () => {
        const hat = fresh('hat');
        const other = fresh('hat');
        const ids = [fresh('sid'), fresh('sid'), fresh('sid')];
        await store().sessions.set({ id: ids[0]!, hat, data: {}, expiresAt: future() });
        await store().sessions.set({ id: ids[1]!, hat, data: {}, expiresAt: future() });
        await store().sessions.set({ id: ids[2]!, hat: other, data: {}, expiresAt: future() });
        assert.equal(await store().sessions.destroyForHat(hat), 2);
        assert.equal(await store().sessions.get(ids[0]!), null);
        assert.equal(await store().sessions.get(ids[1]!), null);
        assert.notEqual(await store().sessions.get(ids[2]!), null);
        assert.equal(await store().sessions.destroyForHat(hat), 0);
      });

      it('update writes a session that is there, and never brings back one that was ended', async () => {
        const id = fresh('sid');
        assert.equal(await store().sessions.update({ id, hat: 'h', data: { n: 1 }, expiresAt: future() }), false);
        assert.equal(await store().sessions.get(id), null, 'update makes no session');
        await store().sessions.set({ id, hat: 'h', data: { n: 1 }, expiresAt: future() });
        const expiresAt = future();
        assert.equal(await store().sessions.update({ id, hat: 'h', data: { n: 2 }, expiresAt }), true);
        assert.deepEqual(await store().sessions.get(id), { id, hat: 'h', data: { n: 2 }, expiresAt });
        await store().sessions.destroy(id);
        assert.equal(await store().sessions.update({ id, hat: 'h', data: { n: 3 }, expiresAt }), false);
        assert.equal(await store().sessions.get(id), null);
      });

      it('listLoggedIn gives the HAT’s unexpired logged-in sessions, most recently seen first, with browser and times', async () => {
        const hat = fresh('hat');
        const at = (secondsAgo: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - secondsAgo * 1000);
        const [older, newer, anonymous, expired, elsewhere] = [fresh('sid'), fresh('sid'), fresh('sid'), fresh('sid'), fresh('sid')];
        const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
        await store().sessions.set({ id: older, hat, data: { owner: true }, expiresAt, userAgent: 'Firefox', loggedInAt: at(300), lastSeenAt: at(200) });
        await store().sessions.set({ id: newer, hat, data: { owner: true }, expiresAt, userAgent: 'Chrome', loggedInAt: at(100), lastSeenAt: at(10) });
        await store().sessions.set({ id: anonymous, hat, data: {}, expiresAt, userAgent: 'curl', lastSeenAt: at(5) });
        await store().sessions.set({ id: expired, hat, data: {}, expiresAt: at(1), loggedInAt: at(600), lastSeenAt: at(2) });
        await store().sessions.set({ id: elsewhere, hat: fresh('hat'), data: {}, expiresAt, loggedInAt: at(50), lastSeenAt: at(1) });
        assert.deepEqual(await store().sessions.listLoggedIn(hat), [
          { id: newer, userAgent: 'Chrome', loggedInAt: at(100), lastSeenAt: at(10), expiresAt },
          { id: older, userAgent: 'Firefox', loggedInAt: at(300), lastSeenAt: at(200), expiresAt },
        ]);
        // A later write moves the session up; `get` still answers only the session itself.
        assert.equal(await store().sessions.update({ id: older, hat, data: { owner: true }, expiresAt, userAgent: 'Firefox', loggedInAt: at(300), lastSeenAt: at(0) }), true);
        assert.deepEqual((await store().sessions.listLoggedIn(hat)).map((s) => s.id), [older, newer]);
        assert.deepEqual(await store().sessions.get(older), { id: older, hat, data: { owner: true }, expiresAt });
        await store().sessions.destroyForHat(hat);
        assert.deepEqual(await store().sessions.listLoggedIn(hat), []);
      });
    });

    describe('activity', () => {
      const entry = (hat: string, detail: string, extra: Partial<ActivityEntry> = {}): ActivityEntry => ({
        id: randomUUID(),
        hat,
        at: at(0),
        type: 'login',
        via: 'api',
        detail,
        ...extra,
      });

      it('list is newest first (by order of appending) with skip and take, and count counts', async () => {
        const hat = fresh('act');
        const entries = ['e1', 'e2', 'e3', 'e4', 'e5'].map((d) => entry(hat, d));
        for (const e of entries) await store().activity.append(e);
        const [e1, e2, e3, e4, e5] = entries;
        assert.deepEqual(await store().activity.list(hat, { skip: 0, take: 2 }), [e5, e4]);
        assert.deepEqual(await store().activity.list(hat, { skip: 2, take: 2 }), [e3, e2]);
        assert.deepEqual(await store().activity.list(hat, { skip: 4, take: 10 }), [e1]);
        assert.deepEqual(await store().activity.list(hat, { skip: 5, take: 10 }), []);
        assert.equal(await store().activity.count(hat), 5);
      });

      it('keeps every optional field, and leaves absent ones absent', async () => {
        const hat = fresh('act');
        const full = entry(hat, 'all', {
          type: 'approval',
          via: 'hatlogin',
          service: 'Notables',
          redirectHost: 'notables.example.com',
          clientIp: '203.0.113.7',
          at: at(30),
        });
        const bare: ActivityEntry = { id: randomUUID(), hat, at: at(31), type: 'logout', via: 'dashboard' };
        await store().activity.append(full);
        await store().activity.append(bare);
        const [gotBare, gotFull] = await store().activity.list(hat, { skip: 0, take: 10 });
        assert.deepEqual(gotFull, full);
        assert.deepEqual(gotBare, bare);
        assert.deepEqual(Object.keys(gotBare!).sort(), ['at', 'hat', 'id', 'type', 'via']);
      });

      it('each HAT sees only its own activity', async () => {
        const a = fresh('act');
        const b = fresh('act');
        await store().activity.append(entry(a, 'a'));
        await store().activity.append(entry(b, 'b1'));
        await store().activity.append(entry(b, 'b2'));
        assert.deepEqual((await store().activity.list(a, { skip: 0, take: 10 })).map((e) => e.detail), ['a']);
        assert.equal(await store().activity.count(a), 1);
        assert.equal(await store().activity.count(b), 2);
        assert.equal(await store().activity.count(fresh('act')), 0);
      });
    });

    describe('applications', () => {
      const app = (id: string, overrides: Partial<ApplicationRecord> = {}): ApplicationRecord =>
        application({
          id,
          name: 'Notables',
          description: 'Short notes, shared as you choose',
          homepage: 'https://notables.example.com',
          redirectUris: ['https://notables.example.com/callback', 'http://localhost:8080/cb'],
          permissions: [
            { namespace: 'rumpel', access: 'read' },
            { namespace: 'notables', access: 'write' },
          ],
          createdAt: at(100),
          ...overrides,
        });

      it('create then get returns the registration as given', async () => {
        const a = app(fresh('app'));
        await store().applications.create(a);
        assert.deepEqual(await store().applications.get(a.id), a);
        assert.equal(await store().applications.get(fresh('app')), null);
      });

      it('create refuses an id in use as UniqueViolation(id) and keeps the first', async () => {
        const a = app(fresh('app'));
        await store().applications.create(a);
        await rejectsUnique(store().applications.create({ ...a, name: 'Impostor' }), 'id');
        assert.deepEqual(await store().applications.get(a.id), a);
      });

      it('update replaces the registration but keeps its createdAt; false for an unknown id', async () => {
        const a = app(fresh('app'));
        await store().applications.create(a);
        const changed = app(a.id, { version: '2.0.0', permissions: [{ namespace: 'rumpel', access: 'write' }], createdAt: at(999) });
        assert.equal(await store().applications.update(changed), true);
        assert.deepEqual(await store().applications.get(a.id), { ...changed, createdAt: a.createdAt });
        assert.equal(await store().applications.update(app(fresh('app'))), false);
      });

      it('list returns every registration ordered by id', async () => {
        const ids = [fresh('zlist'), fresh('alist'), fresh('mlist')];
        for (const id of ids) await store().applications.create(app(id));
        const listed = (await store().applications.list()).map((a) => a.id);
        const ours = listed.filter((id) => ids.includes(id));
        assert.deepEqual(ours, [...ids].sort());
        assert.deepEqual(listed, [...listed].sort());
      });

      it('remove deletes it once: true, then false', async () => {
        const a = app(fresh('app'));
        await store().applications.create(a);
        assert.equal(await store().applications.remove(a.id), true);
        assert.equal(await store().applications.get(a.id), null);
        assert.equal(await store().applications.remove(a.id), false);
      });

      it('keeps a manifest registration whole, its unused fields included', async () => {
        const a: ApplicationRecord = { ...parseRegistration(notablesManifest({ id: fresh('app') })), createdAt: at(100) };
        await store().applications.create(a);
        assert.deepEqual(await store().applications.get(a.id), a);
      });

      it('migrates registrations stored before manifests: the missing fields are filled, the others kept', async () => {
        const { kind: _k, headline: _h, logoUrl: _l, termsUrl: _t, dataUsePurpose: _d, supportContact: _s, developer: _v, setupUrl: _u, source: _src, ...legacy } =
          app(fresh('app'));
        const old = { ...legacy, clientSecretHash: 'an extra field' } as unknown as ApplicationRecord;
        await store().applications.create(old);
        const current = app(fresh('app'));
        await store().applications.create(current);
        const registry = new ApplicationRegistry(store(), { freshnessMs: 0, removeGrants: async () => 0 });
        assert.ok((await registry.migrate()) >= 1);
        assert.deepEqual(await store().applications.get(old.id), { ...UNSET_FIELDS, ...old });
        assert.deepEqual(await store().applications.get(current.id), current);
        assert.equal(await registry.migrate(), 0, 'a second start-up has nothing left to migrate');
      });
    });

    describe('grants', () => {
      const grant = (hat: string, applicationId: string, overrides: Partial<GrantRecord> = {}): GrantRecord => ({
        hat,
        applicationId,
        enabled: true,
        permissions: [{ namespace: 'rumpel', access: 'read' }],
        version: '1.0.0',
        tokensNotBefore: 1_700_000_100,
        updatedAt: at(200),
        lastUsedAt: null,
        ...overrides,
      });

      it('put creates the grant, get returns it, and the HAT revision is bumped', async () => {
        const hat = await newHat('grant');
        const g = grant(hat.name, fresh('app'));
        await store().grants.put(g);
        assert.deepEqual(await store().grants.get(hat.name, g.applicationId), g);
        assert.equal(await revision(hat.name), hat.revision + 1);
        assert.equal(await store().grants.get(hat.name, fresh('app')), null);
      });

      it('put replaces the grant of the same HAT and application, bumping again', async () => {
        const hat = await newHat('grant');
        const appId = fresh('app');
        await store().grants.put(grant(hat.name, appId));
        const replaced = grant(hat.name, appId, {
          enabled: false,
          permissions: [],
          version: '2.0.0',
          tokensNotBefore: 1_700_000_500,
          updatedAt: at(300),
          lastUsedAt: at(250),
        });
        await store().grants.put(replaced);
        assert.deepEqual(await store().grants.list(hat.name), [replaced]);
        assert.equal(await revision(hat.name), hat.revision + 2);
      });

      it('list holds the HAT’s grants ordered by application id, and only them', async () => {
        const hat = await newHat('grant');
        const other = await newHat('grant');
        const gz = grant(hat.name, fresh('zapp'));
        const ga = grant(hat.name, fresh('aapp'));
        await store().grants.put(gz);
        await store().grants.put(ga);
        await store().grants.put(grant(other.name, fresh('aapp')));
        assert.deepEqual(await store().grants.list(hat.name), [ga, gz]);
      });

      it('touch records the last use without bumping the revision', async () => {
        const hat = await newHat('grant');
        const g = grant(hat.name, fresh('app'));
        await store().grants.put(g);
        const rev = await revision(hat.name);
        await store().grants.touch(hat.name, g.applicationId, at(400));
        assert.deepEqual(await store().grants.get(hat.name, g.applicationId), { ...g, lastUsedAt: at(400) });
        assert.equal(await revision(hat.name), rev);
        await store().grants.touch(hat.name, fresh('app'), at(400));
        assert.equal((await store().grants.list(hat.name)).length, 1);
      });

      it('removeForApplication removes the application’s grants on every HAT and bumps exactly those HATs', async () => {
        const a = await newHat('grant');
        const b = await newHat('grant');
        const bystander = await newHat('grant');
        const appId = fresh('app');
        const keep = grant(a.name, fresh('keep'));
        await store().grants.put(grant(a.name, appId));
        await store().grants.put(keep);
        await store().grants.put(grant(b.name, appId));
        const [revA, revB, revC] = [await revision(a.name), await revision(b.name), await revision(bystander.name)];
        assert.equal(await store().grants.removeForApplication(appId), 2);
        assert.equal(await store().grants.get(a.name, appId), null);
        assert.equal(await store().grants.get(b.name, appId), null);
        assert.deepEqual(await store().grants.list(a.name), [keep]);
        assert.equal(await revision(a.name), revA + 1);
        assert.equal(await revision(b.name), revB + 1);
        assert.equal(await revision(bystander.name), revC);
        assert.equal(await store().grants.removeForApplication(appId), 0);
      });
    });

    describe('approvals', () => {
      const approval = (hat: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
        id: randomUUID(),
        hat,
        name: 'Notables',
        origin: 'https://notables.example.com',
        tokensNotBefore: 1_700_000_200,
        createdAt: at(500),
        lastUsedAt: null,
        ...overrides,
      });

      it('put creates the approval, find and get return it, and the HAT revision is bumped', async () => {
        const hat = await newHat('appr');
        const a = approval(hat.name);
        await store().approvals.put(a);
        assert.deepEqual(await store().approvals.find(hat.name, a.name, a.origin), a);
        assert.deepEqual(await store().approvals.get(hat.name, a.id), a);
        assert.equal(await revision(hat.name), hat.revision + 1);
      });

      it('find and get answer null for another name, origin, id or HAT', async () => {
        const hat = await newHat('appr');
        const other = await newHat('appr');
        const a = approval(hat.name);
        await store().approvals.put(a);
        assert.equal(await store().approvals.find(hat.name, 'Other', a.origin), null);
        assert.equal(await store().approvals.find(hat.name, a.name, 'https://other.example.com'), null);
        assert.equal(await store().approvals.find(other.name, a.name, a.origin), null);
        assert.equal(await store().approvals.get(other.name, a.id), null);
        assert.equal(await store().approvals.get(hat.name, randomUUID()), null);
      });

      it('put for the same HAT, name and origin replaces it in place: the first id stays', async () => {
        const hat = await newHat('appr');
        const first = approval(hat.name);
        await store().approvals.put(first);
        const again = approval(hat.name, { tokensNotBefore: 1_700_000_900, createdAt: at(600), lastUsedAt: at(550) });
        await store().approvals.put(again);
        const expected = { ...again, id: first.id };
        assert.deepEqual(await store().approvals.list(hat.name), [expected]);
        assert.deepEqual(await store().approvals.get(hat.name, first.id), expected);
        assert.equal(await store().approvals.get(hat.name, again.id), null);
        assert.equal(await revision(hat.name), hat.revision + 2);
      });

      it('the same service on two HATs is two approvals', async () => {
        const a = await newHat('appr');
        const b = await newHat('appr');
        const onA = approval(a.name);
        const onB = approval(b.name);
        await store().approvals.put(onA);
        await store().approvals.put(onB);
        assert.deepEqual(await store().approvals.list(a.name), [onA]);
        assert.deepEqual(await store().approvals.list(b.name), [onB]);
      });

      it('list is newest first', async () => {
        const hat = await newHat('appr');
        const older = approval(hat.name, { origin: 'https://older.example.com', createdAt: at(10) });
        const newer = approval(hat.name, { origin: 'https://newer.example.com', createdAt: at(20) });
        const middle = approval(hat.name, { name: 'Middle', createdAt: at(15) });
        for (const a of [older, newer, middle]) await store().approvals.put(a);
        assert.deepEqual(await store().approvals.list(hat.name), [newer, middle, older]);
      });

      it('remove deletes it and bumps the revision; a second remove, or another HAT’s id, is false and bumps nothing', async () => {
        const hat = await newHat('appr');
        const other = await newHat('appr');
        const a = approval(hat.name);
        await store().approvals.put(a);
        const rev = await revision(hat.name);
        const otherRev = await revision(other.name);
        assert.equal(await store().approvals.remove(other.name, a.id), false);
        assert.equal(await revision(other.name), otherRev);
        assert.equal(await store().approvals.remove(hat.name, a.id), true);
        assert.equal(await store().approvals.get(hat.name, a.id), null);
        assert.equal(await revision(hat.name), rev + 1);
        assert.equal(await store().approvals.remove(hat.name, a.id), false);
        assert.equal(await revision(hat.name), rev + 1);
      });

      it('touch records the last use without bumping the revision, and only on its own HAT', async () => {
        const hat = await newHat('appr');
        const other = await newHat('appr');
        const a = approval(hat.name);
        await store().approvals.put(a);
        const rev = await revision(hat.name);
        await store().approvals.touch(other.name, a.id, at(700));
        assert.deepEqual(await store().approvals.get(hat.name, a.id), a);
        await store().approvals.touch(hat.name, a.id, at(800));
        assert.deepEqual(await store().approvals.get(hat.name, a.id), { ...a, lastUsedAt: at(800) });
        assert.equal(await revision(hat.name), rev);
      });
    });

    describe('records', () => {
      const record = (endpoint: string, data: unknown, createdAt = at(900)): DataRecord => ({
        recordId: randomUUID(),
        endpoint,
        json: typeof data === 'string' ? data : JSON.stringify(data),
        createdAt,
      });
      const read = (hat: string, endpoint: string, o: Partial<ReadOptions> = {}) =>
        store().records.read(hat, endpoint, { ordering: 'ascending', skip: 0, take: 1000, ...o });
      /** Inserts one record per value, as `{"v": value}` (or `{}` for undefined), in the given order. */
      async function endpointOf(values: unknown[], wrap: (v: unknown) => unknown = (v) => (v === undefined ? {} : { v })) {
        const hat = fresh('rec');
        const endpoint = `${fresh('ns')}/items`;
        const records = values.map((v, i) => record(endpoint, { i, ...(wrap(v) as object) }));
        await store().records.insert(hat, records);
        const order = async (o: Partial<ReadOptions>) =>
          (await read(hat, endpoint, o)).map((r) => (JSON.parse(r.json) as { i: number }).i);
        return { hat, endpoint, records, order };
      }

      it('insert then read returns the records in insertion order, byte for byte', async () => {
        const hat = fresh('rec');
        const endpoint = 'rumpel/notes';
        const records = [
          record(endpoint, '{"$where":"x","__proto__":{"a":1},"a.b":2}'),
          record(endpoint, '{ "spaced" : [1, 2.50, 1e3],\n "text": "é😀\\u0041" }'),
          record(endpoint, '[1,"two",null]'),
        ];
        await store().records.insert(hat, records);
        assert.deepEqual(await read(hat, endpoint), records);
        assert.deepEqual(await store().records.get(hat, [records[0]!.recordId]), [records[0]]);
      });

      it('read descends, skips and takes in insertion order when no field is named', async () => {
        const { order } = await endpointOf([1, 2, 3, 4, 5]);
        assert.deepEqual(await order({ ordering: 'descending' }), [4, 3, 2, 1, 0]);
        assert.deepEqual(await order({ skip: 1, take: 2 }), [1, 2]);
        assert.deepEqual(await order({ ordering: 'descending', skip: 1, take: 3 }), [3, 2, 1]);
        assert.deepEqual(await order({ skip: 5 }), []);
        assert.deepEqual(await order({ take: 0 }), []);
      });

      it('records inserted later come after, across separate inserts', async () => {
        const { hat, endpoint, order } = await endpointOf([1, 2]);
        await store().records.insert(hat, [record(endpoint, { i: 2 })]);
        await store().records.insert(hat, [record(endpoint, { i: 3 }), record(endpoint, { i: 4 })]);
        assert.deepEqual(await order({}), [0, 1, 2, 3, 4]);
      });

      it('insert is all or nothing: a batch repeating a record id stores nothing', async () => {
        const hat = fresh('rec');
        const endpoint = 'rumpel/notes';
        const a = record(endpoint, { a: 1 });
        const b = record(endpoint, { b: 1 });
        await rejectsUnique(store().records.insert(hat, [a, b, { ...a, json: '{"again":true}' }]), 'recordId');
        assert.deepEqual(await read(hat, endpoint), []);
        assert.deepEqual(await store().records.sources(hat), {});
      });

      it('insert is all or nothing: a record id already stored, even on another HAT, refuses the whole batch', async () => {
        const owner = fresh('rec');
        const hat = fresh('rec');
        const endpoint = 'rumpel/notes';
        const taken = record(endpoint, { taken: true });
        await store().records.insert(owner, [taken]);
        const fresh1 = record(endpoint, { n: 1 });
        await rejectsUnique(store().records.insert(hat, [fresh1, { ...taken, json: '{}' }]), 'recordId');
        assert.deepEqual(await read(hat, endpoint), []);
        assert.deepEqual(await read(owner, endpoint), [taken]);
      });

      it('orderBy sorts numbers numerically, missing and null last in both directions, ties in insertion order', async () => {
        const { order } = await endpointOf([10, undefined, 2, null, 2, -1.5, 100]);
        assert.deepEqual(await order({ orderBy: 'v' }), [5, 2, 4, 0, 6, 1, 3]);
        assert.deepEqual(await order({ orderBy: 'v', ordering: 'descending' }), [6, 0, 4, 2, 5, 3, 1]);
      });

      it('orderBy sorts texts by code point, after every number; booleans count as 1 and 0', async () => {
        const { order } = await endpointOf(['b', 'B', 'a', '', 3, true, false, 'é', '😀', '\uffff', 0.5]);
        // false=0, 0.5, true=1, 3, then '', 'B', 'a', 'b', 'é', '\uffff', '😀' (U+1F600 above U+FFFF).
        assert.deepEqual(await order({ orderBy: 'v' }), [6, 10, 5, 4, 3, 1, 2, 0, 7, 9, 8]);
        assert.deepEqual(await order({ orderBy: 'v', ordering: 'descending' }), [8, 9, 7, 0, 2, 1, 3, 4, 5, 10, 6]);
      });

      it('orderBy compares objects and arrays as their JSON text, among the texts', async () => {
        const { order } = await endpointOf([{ b: 1 }, '[', [2, 1], 'z', 5, '{']);
        // 5, then texts: '[', '[2,1]', 'z', '{', '{"b":1}'
        assert.deepEqual(await order({ orderBy: 'v' }), [4, 1, 2, 3, 5, 0]);
      });

      it('orderBy follows a dotted path; a path through a non-object, an array index or an inherited name is missing', async () => {
        const { order } = await endpointOf(
          [{ a: { b: 3 } }, { a: { b: 1 } }, { a: 7 }, { a: [{ b: 0 }] }, {}, { a: { b: 2 } }],
          (v) => v,
        );
        assert.deepEqual(await order({ orderBy: 'a.b' }), [1, 5, 0, 2, 3, 4]);
        assert.deepEqual(await order({ orderBy: 'a.b', ordering: 'descending' }), [0, 5, 1, 4, 3, 2]);
        const inherited = await endpointOf([{ a: { b: 1 } }, { constructor: 'x' }, { toString: 5 }], (v) => v);
        assert.deepEqual(await inherited.order({ orderBy: 'constructor' }), [1, 0, 2]);
        assert.deepEqual(await inherited.order({ orderBy: 'toString' }), [2, 0, 1]);
        const arrays = await endpointOf([[5], [1]], (v) => ({ list: v }));
        assert.deepEqual(await arrays.order({ orderBy: 'list.0' }), [0, 1]);
      });

      it('orderBy reads a key named __proto__ as data', async () => {
        const hat = fresh('rec');
        const endpoint = 'rumpel/proto';
        const records = [
          record(endpoint, '{"i":0,"__proto__":{"x":2}}'),
          record(endpoint, '{"i":1}'),
          record(endpoint, '{"i":2,"__proto__":{"x":1}}'),
        ];
        await store().records.insert(hat, records);
        const got = await read(hat, endpoint, { orderBy: '__proto__.x' });
        assert.deepEqual(got, [records[2], records[0], records[1]]);
      });

      it('orderBy pages with skip and take after sorting', async () => {
        const { order } = await endpointOf([5, 3, undefined, 1, 4, 2]);
        assert.deepEqual(await order({ orderBy: 'v', skip: 1, take: 3 }), [5, 1, 4]);
        assert.deepEqual(await order({ orderBy: 'v', ordering: 'descending', skip: 4, take: 10 }), [3, 2]);
        assert.deepEqual(await order({ orderBy: 'v', skip: 6 }), []);
      });

      it('read sees only the HAT’s own records of that endpoint', async () => {
        const a = fresh('rec');
        const b = fresh('rec');
        const mine = record('rumpel/notes', { mine: true });
        await store().records.insert(a, [mine, record('rumpel/other', {})]);
        await store().records.insert(b, [record('rumpel/notes', { mine: false })]);
        assert.deepEqual(await read(a, 'rumpel/notes'), [mine]);
        assert.deepEqual(await read(a, 'rumpel/notes', { orderBy: 'mine' }), [mine]);
      });

      it('clear removes every record of the endpoint of that HAT and says how many', async () => {
        const a = fresh('rec');
        const b = fresh('rec');
        const kept = record('rumpel/kept', {});
        const theirs = record('rumpel/notes', {});
        await store().records.insert(a, [record('rumpel/notes', {}), record('rumpel/notes', {}), kept]);
        await store().records.insert(b, [theirs]);
        assert.equal(await store().records.clear(a, 'rumpel/notes'), 2);
        assert.deepEqual(await read(a, 'rumpel/notes'), []);
        assert.deepEqual(await read(a, 'rumpel/kept'), [kept]);
        assert.deepEqual(await read(b, 'rumpel/notes'), [theirs]);
        assert.equal(await store().records.clear(a, 'rumpel/notes'), 0);
      });

      it('get returns the HAT’s records among the ids, in insertion order, and nothing of another HAT', async () => {
        const a = fresh('rec');
        const b = fresh('rec');
        const [r1, r2, r3] = [record('x/one', { n: 1 }), record('y/two', { n: 2 }), record('x/one', { n: 3 })];
        await store().records.insert(a, [r1!, r2!, r3!]);
        const foreign = record('x/one', {});
        await store().records.insert(b, [foreign]);
        const got = await store().records.get(a, [r3!.recordId, foreign.recordId, randomUUID(), r1!.recordId]);
        assert.deepEqual(got, [r1, r3]);
        assert.deepEqual(await store().records.get(a, []), []);
      });

      it('remove deletes exactly those of the HAT’s records and says how many', async () => {
        const a = fresh('rec');
        const b = fresh('rec');
        const [r1, r2, r3] = [record('x/one', { n: 1 }), record('x/one', { n: 2 }), record('x/two', { n: 3 })];
        await store().records.insert(a, [r1!, r2!, r3!]);
        const foreign = record('x/one', {});
        await store().records.insert(b, [foreign]);
        assert.equal(await store().records.remove(a, [r1!.recordId, r3!.recordId, foreign.recordId, randomUUID()]), 2);
        assert.deepEqual(await read(a, 'x/one'), [r2]);
        assert.deepEqual(await read(a, 'x/two'), []);
        assert.deepEqual(await read(b, 'x/one'), [foreign]);
        assert.equal(await store().records.remove(a, []), 0);
      });

      it('update replaces the JSON of the HAT’s records, keeping id, endpoint, order and time', async () => {
        const a = fresh('rec');
        const [r1, r2, r3] = [record('x/one', { n: 1 }), record('x/one', { n: 2 }), record('y/two', { n: 3 })];
        await store().records.insert(a, [r1!, r2!, r3!]);
        const json = '{ "n" : 10, "$set": {"a.b": 1} }';
        assert.equal(await store().records.update(a, [{ recordId: r1!.recordId, json }, { recordId: r3!.recordId, json: '{}' }]), true);
        assert.deepEqual(await read(a, 'x/one'), [{ ...r1!, json }, r2]);
        assert.deepEqual(await read(a, 'y/two'), [{ ...r3!, json: '{}' }]);
        assert.equal(await store().records.update(a, []), true);
      });

      it('update is all or nothing: one id that is not the HAT’s record changes nothing', async () => {
        const a = fresh('rec');
        const b = fresh('rec');
        const mine = record('x/one', { n: 1 });
        const foreign = record('x/one', { n: 2 });
        await store().records.insert(a, [mine]);
        await store().records.insert(b, [foreign]);
        for (const other of [foreign.recordId, randomUUID()]) {
          const changes = [{ recordId: mine.recordId, json: '{"changed":true}' }, { recordId: other, json: '{"changed":true}' }];
          assert.equal(await store().records.update(a, changes), false);
        }
        assert.deepEqual(await read(a, 'x/one'), [mine]);
        assert.deepEqual(await read(b, 'x/one'), [foreign]);
      });

      it('sources lists the HAT’s endpoints that hold records, grouped by namespace and sorted', async () => {
        const a = fresh('rec');
        const b = fresh('rec');
        await store().records.insert(a, [
          record('rumpel/notes', {}),
          record('fitbit/sleep', {}),
          record('rumpel/locations', {}),
          record('rumpel/notes', {}),
          record('fitbit/activity', {}),
        ]);
        await store().records.insert(b, [record('other/thing', {})]);
        const sources = await store().records.sources(a);
        assert.deepEqual(sources, { fitbit: ['activity', 'sleep'], rumpel: ['locations', 'notes'] });
        assert.deepEqual(Object.keys(sources), ['fitbit', 'rumpel']);
        await store().records.clear(a, 'fitbit/sleep');
        await store().records.clear(a, 'fitbit/activity');
        assert.deepEqual(await store().records.sources(a), { rumpel: ['locations', 'notes'] });
        assert.deepEqual(await store().records.sources(fresh('rec')), {});
      });
    });

    describe('attempts', () => {
      it('hit counts up, peek looks without counting, reset forgets', async () => {
        const counter = store().attempts(fresh('tries'), 60, 3);
        const key = fresh('client');
        assert.equal(await counter.peek(key), null);
        assert.equal((await counter.hit(key)).consumed, 1);
        const second = await counter.hit(key);
        assert.equal(second.consumed, 2);
        assert.ok(second.msBeforeNext > 0 && second.msBeforeNext <= 60_000, `msBeforeNext ${second.msBeforeNext}`);
        assert.equal((await counter.peek(key))?.consumed, 2);
        assert.equal((await counter.peek(key))?.consumed, 2);
        await counter.reset(key);
        assert.equal(await counter.peek(key), null);
        assert.equal((await counter.hit(key)).consumed, 1);
      });

      it('hit past the limit still counts and answers rather than throwing', async () => {
        const counter = store().attempts(fresh('tries'), 60, 2);
        const key = fresh('client');
        for (let i = 0; i < 2; i++) await counter.hit(key);
        assert.equal((await counter.hit(key)).consumed, 3);
        assert.equal((await counter.hit(key)).consumed, 4);
      });

      it('refund takes one attempt back, and does nothing once the window has ended', async () => {
        const counter = store().attempts(fresh('tries'), 60, 3);
        const key = fresh('client');
        await counter.hit(key);
        await counter.hit(key);
        await counter.refund(key);
        assert.equal((await counter.peek(key))?.consumed, 1);
        const none = fresh('client');
        await counter.refund(none);
        assert.equal(await counter.peek(none), null);
        assert.equal((await counter.hit(none)).consumed, 1);
      });

      it('keys and counters of different names are counted apart', async () => {
        const name = fresh('tries');
        const counter = store().attempts(name, 60, 5);
        const other = store().attempts(fresh('tries'), 60, 5);
        await counter.hit('k1');
        await counter.hit('k1');
        await counter.hit('k2');
        assert.equal((await counter.peek('k1'))?.consumed, 2);
        assert.equal((await counter.peek('k2'))?.consumed, 1);
        assert.equal(await other.peek('k1'), null);
        assert.equal((await store().attempts(name, 60, 5).peek('k1'))?.consumed, 2);
      });

      it('the count starts again once the window has passed', async () => {
        const counter = store().attempts(fresh('tries'), 1, 5);
        const key = fresh('client');
        await counter.hit(key);
        const last = await counter.hit(key);
        assert.equal(last.consumed, 2);
        await sleep(last.msBeforeNext + 150);
        assert.equal(await counter.peek(key), null);
        assert.equal((await counter.hit(key)).consumed, 1);
      });
    });

    resetsContract(store, newHat);
    oidcContract(store);

    describe('ping', () => {
      it('resolves while the datastore answers', async () => {
        await store().ping();
      });
    });
  });
}
