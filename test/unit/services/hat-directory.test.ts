import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HatDirectory } from '../../../src/services/hats.js';
import type { HatRecord, Store } from '../../../src/store/ports.js';

const record = (revision: number): HatRecord => ({
  name: 'alice',
  ownerId: 'owner',
  email: 'alice@example.com',
  fullName: '',
  passwordHash: 'x',
  disabled: false,
  tokensNotBefore: 0,
  revision,
  createdAt: new Date(0),
});

/** A store whose HAT reads wait until the test lets them answer. */
function slowStore() {
  const reads: Array<(hat: HatRecord) => void> = [];
  const store = { hats: { find: () => new Promise<HatRecord>((resolve) => reads.push(resolve)) } } as unknown as Store;
  return { store, reads };
}

describe('finding HATs (the HAT cache)', () => {
  it('remembers a HAT record for the freshness period', async () => {
    const { store, reads } = slowStore();
    const directory = new HatDirectory(store, 60_000);
    const first = directory.find('alice');
    reads.shift()!(record(1));
    assert.equal((await first)?.revision, 1);
    assert.equal(directory.fresh('alice')?.revision, 1);
    assert.equal((await directory.find('alice'))?.revision, 1);
    assert.equal(reads.length, 0, 'no second read');
  });

  it('does not keep a read that began before a change was announced with forget', async () => {
    const { store, reads } = slowStore();
    const directory = new HatDirectory(store, 60_000);
    const stale = directory.find('alice');
    directory.forget('alice'); // a revocation happened while the read was under way
    reads.shift()!(record(1)); // the read answers with the record from before the change
    assert.equal((await stale)?.revision, 1);
    assert.equal(directory.fresh('alice'), undefined, 'the stale answer was not remembered');
    const fresh = directory.find('alice');
    reads.shift()!(record(2));
    assert.equal((await fresh)?.revision, 2);
  });

  it('forgets every HAT at once when asked to', async () => {
    const { store, reads } = slowStore();
    const directory = new HatDirectory(store, 60_000);
    const first = directory.find('alice');
    reads.shift()!(record(1));
    await first;
    directory.forgetAll();
    assert.equal(directory.fresh('alice'), undefined);
  });
});
