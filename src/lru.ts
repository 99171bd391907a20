/**
 * A Map bounded to `capacity` entries that forgets the least recently used one when full. The
 * server's in-memory caches (HAT records, key pairs, checked tokens, route matches, …) use it so
 * that memory stays bounded however many HATs, tokens or paths come by; an entry pushed out is
 * simply read or computed again. Map keeps insertion order, so "recently used" is "re-inserted".
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`An LRU needs a capacity of at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked as just used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined && !this.entries.has(key)) return undefined;
    // Moving an entry to the end (delete + set) is most of a hit's cost, on every validation, and
    // the order only decides anything once the map is full. Below half full the move is skipped:
    // an entry used then and never again in the time the map took to fill its other half is
    // forgotten first, which is what least recently used means at that point anyway.
    if (this.entries.size > this.capacity / 2) {
      this.entries.delete(key);
      this.entries.set(key, value as V);
    }
    return value;
  }

  /** The value without marking it used. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores the value as the most recently used, forgetting the least recently used beyond capacity. */
  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
