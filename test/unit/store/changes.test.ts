import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HatDirectory } from '../../../src/services/hats.js';
import { announcingHatChanges, HAT_EFFECTS, type HatEffects } from '../../../src/store/changes.js';
import type { Store } from '../../../src/store/ports.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import { freshName as fresh, hatRecord, keyRecord } from '../../support/fixtures.js';

// A port method without an entry in HAT_EFFECTS does not compile (checked by `npm run typecheck`):
// @ts-expect-error `add` is missing
const _unclassified: HatEffects['keys'] = { list: null };
void _unclassified;

/**
 * The store decorator is the one place a process forgets what it remembers of a HAT: each write
 * that changes a HAT's record is announced, with the right HAT, once the write is over.
 */
describe('announcing the changes a write makes to HAT records', () => {
  let dir: string;
  let raw: Store;
  let store: Store;
  const heard: string[] = [];
  let everyHeard = 0;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hat-changes-'));
    raw = openSqliteStore(dir);
    const announcing = announcingHatChanges(raw);
    store = announcing.store;
    announcing.changes.onHatChanged((name) => heard.push(name));
    announcing.changes.onEveryHatChanged(() => everyHeard++);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What `write` announced, and the HAT's revision before and after it. */
  async function announced(name: string, write: () => Promise<unknown>) {
    heard.length = 0;
    const before = await raw.hats.revision(name);
    await write();
    return { heard: [...heard], before, after: await raw.hats.revision(name) };
  }

  it('announces every write that bumps a HAT revision, naming that HAT, after the write', async () => {
    const name = fresh('ann');
    assert.deepEqual((await announced(name, () => store.hats.create(hatRecord(name), keyRecord(name)))).heard, [name], 'a new HAT');
    const grant = {
      hat: name,
      applicationId: 'app',
      enabled: true,
      permissions: [],
      version: '1',
      tokensNotBefore: 0,
      updatedAt: new Date(),
      lastUsedAt: null,
    };
    const approval = { id: randomUUID(), hat: name, name: 'Shop', origin: 'https://shop.example', tokensNotBefore: 0, createdAt: new Date(), lastUsedAt: null };
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['setPassword', () => store.hats.setPassword(name, 'y', 1)],
      ['setDisabled', () => store.hats.setDisabled(name, true)],
      ['keys.add', () => store.keys.add(keyRecord(name))],
      ['grants.put', () => store.grants.put(grant)],
      ['approvals.put', () => store.approvals.put(approval)],
      ['approvals.remove', () => store.approvals.remove(name, approval.id)],
    ];
    for (const [what, write] of writes) {
      const seen = await announced(name, write);
      assert.deepEqual(seen.heard, [name], what);
      assert.ok(seen.after! > seen.before!, `${what} bumped the revision the announcement is about`);
    }
  });

  it('announces nothing for reads and for writes that leave HAT records alone', async () => {
    const name = fresh('quiet');
    await raw.hats.create(hatRecord(name), keyRecord(name));
    const quiet: Array<[string, () => Promise<unknown>]> = [
      ['hats.find', () => store.hats.find(name)],
      ['keys.list', () => store.keys.list(name)],
      ['grants.touch', () => store.grants.touch(name, 'app', new Date())],
      ['sessions.set', () => store.sessions.set({ id: fresh('s'), hat: name, data: {}, expiresAt: new Date(Date.now() + 60_000) })],
      ['sessions.destroyForHat', () => store.sessions.destroyForHat(name)],
      ['activity.append', () => store.activity.append({ id: randomUUID(), hat: name, at: new Date(), type: 'login', via: 'api' })],
      ['records.insert', () => store.records.insert(name, [{ recordId: randomUUID(), endpoint: 'a/b', json: '{}', createdAt: new Date() }])],
    ];
    for (const [what, call] of quiet) {
      const seen = await announced(name, call);
      assert.deepEqual(seen.heard, [], what);
      assert.equal(seen.after, seen.before, `${what} left the revision alone`);
    }
  });

  it('announces a change of every HAT when an application leaves every HAT it was granted to', async () => {
    const before = everyHeard;
    await store.grants.removeForApplication('gone-app');
    assert.equal(everyHeard, before + 1);
  });

  it('announces a write that failed too: it may have been applied before the failure reached us', async () => {
    const name = fresh('dup');
    await raw.hats.create(hatRecord(name), keyRecord(name));
    heard.length = 0;
    await assert.rejects(store.hats.create(hatRecord(name), keyRecord(name)));
    assert.deepEqual(heard, [name]);
  });

  it('lets a HAT directory subscribed to it see a change at once, however long it keeps records', async () => {
    const name = fresh('dir');
    const wired = announcingHatChanges(raw);
    const directory = new HatDirectory(wired.store, 3_600_000);
    wired.changes.onHatChanged((changed) => directory.forget(changed));
    assert.equal(await directory.find(name), null, 'remembered as missing');
    await wired.store.hats.create(hatRecord(name), keyRecord(name));
    assert.equal((await directory.find(name))?.revision, 1, 'a new HAT is found at once');
    await wired.store.hats.setDisabled(name, true);
    assert.equal((await directory.find(name))?.disabled, true, 'a change is seen at once');
  });

  it('classifies every operation of every group of the store', () => {
    for (const [group, effects] of Object.entries(HAT_EFFECTS)) {
      const methods = Object.keys((raw as unknown as Record<string, object>)[group]!).sort();
      assert.deepEqual(Object.keys(effects).sort(), methods, group);
    }
  });
});
