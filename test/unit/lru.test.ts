import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lru } from '../../src/lru.js';

describe('Lru', () => {
  it('keeps at most its capacity, forgetting the least recently used', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1).set('b', 2);
    assert.equal(lru.get('a'), 1); // a is now the most recent
    lru.set('c', 3);
    assert.equal(lru.size, 2);
    assert.equal(lru.has('b'), false);
    assert.deepEqual([lru.peek('a'), lru.peek('c')], [1, 3]);
  });

  it('peek does not count as use; set of a known key refreshes it', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1).set('b', 2);
    assert.equal(lru.peek('a'), 1);
    lru.set('c', 3);
    assert.equal(lru.has('a'), false);
    lru.set('b', 20).set('d', 4);
    assert.deepEqual([lru.has('c'), lru.get('b')], [false, 20]);
  });

  it('remembers undefined values as present', () => {
    const lru = new Lru<string, number | undefined>(2);
    lru.set('a', undefined).set('b', 1);
    lru.get('a');
    lru.set('c', 2);
    assert.equal(lru.has('a'), true);
    assert.equal(lru.has('b'), false);
  });

  it('deletes and clears', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1).set('b', 2);
    assert.equal(lru.delete('a'), true);
    assert.equal(lru.get('a'), undefined);
    lru.clear();
    assert.equal(lru.size, 0);
  });

  it('once more than half full, a hit saves the entry from being forgotten next', () => {
    const lru = new Lru<string, number>(4);
    lru.set('a', 1).set('b', 2).set('c', 3);
    lru.get('a'); // three of four: past half, so a becomes the most recent
    lru.set('d', 4).set('e', 5);
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => lru.has(k)), [true, false, true, true, true]);
  });

  it('refuses a capacity below 1', () => {
    assert.throws(() => new Lru(0), RangeError);
    assert.throws(() => new Lru(Number.NaN), RangeError);
  });
});
