import { Unavailable } from '../errors.js';
import type { HatRecord, Store } from '../store/ports.js';
import { Lru } from '../lru.js';

interface Entry {
  hat: HatRecord | null;
  fetchedAt: number;
  pending?: Promise<HatRecord | null>;
}

/**
 * Finds HATs by name. Every request needs its HAT, so records are kept in memory and re-read
 * from the store when older than `freshnessMs`: that bounds how long a change made by another
 * process (several servers on one MongoDB) goes unseen. Changes made in this process are seen at
 * once: the store announces every write that changes a HAT (store/changes.ts), and `forget`
 * is subscribed to it when services are wired.
 */
export class HatDirectory {
  private readonly cache: Lru<string, Entry>;

  constructor(
    private readonly store: Store,
    private readonly freshnessMs: number,
    maxEntries = 50_000,
  ) {
    this.cache = new Lru(maxEntries);
  }

  async find(name: string): Promise<HatRecord | null> {
    const now = Date.now();
    const entry = this.cache.get(name);
    if (entry && (entry.pending || now - entry.fetchedAt < this.freshnessMs)) return entry.pending ?? entry.hat;
    // One read per name at a time, however many requests are waiting for it. A failing read
    // means the datastore is not answering (503), whatever the adapter's own error says.
    const pending = this.store.hats.find(name).catch((err: unknown) => {
      throw storeUnavailable(err);
    });
    this.cache.set(name, { hat: entry?.hat ?? null, fetchedAt: now, pending });
    try {
      const hat = await pending;
      // Unless `forget` came while we read: then this answer may predate the change it announced.
      if (this.cache.get(name)?.pending === pending) this.cache.set(name, { hat, fetchedAt: Date.now() });
      return hat;
    } catch (err) {
      this.cache.delete(name);
      throw err;
    }
  }

  /**
   * What `find` would answer without reading the store, when the remembered record is fresh
   * enough; undefined when only `find` can tell. Lets the common case skip a promise.
   */
  fresh(name: string): HatRecord | null | undefined {
    const entry = this.cache.get(name);
    return entry && !entry.pending && Date.now() - entry.fetchedAt < this.freshnessMs ? entry.hat : undefined;
  }

  /** HAT records held in memory (for the metrics). */
  get cached(): number {
    return this.cache.size;
  }

  /** A change was made to this HAT here: the next `find` reads it again. */
  forget(name: string): void {
    this.cache.delete(name);
  }

  /** A change touched HATs we cannot name cheaply (an application left the registry). */
  forgetAll(): void {
    this.cache.clear();
  }
}

function storeUnavailable(err: unknown): Unavailable {
  // The cause is logged with the 503, never shown.
  return new Unavailable('The datastore is not answering; please try again shortly', { cause: err });
}

export const HAT_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
export const RESERVED_NAMES = new Set([
  'www', 'api', 'admin', 'administrator', 'mail', 'email', 'smtp', 'imap', 'pop', 'ftp', 'static', 'assets', 'cdn',
  'app', 'apps', 'auth', 'login', 'logout', 'signup', 'register', 'account', 'accounts', 'dashboard', 'hat', 'hats',
  'cluster', 'root', 'system', 'support', 'help', 'status', 'docs', 'blog', 'dev', 'test', 'localhost', 'ns', 'dns',
  'security', 'abuse', 'postmaster', 'hostmaster', 'webmaster', 'noreply', 'no-reply', 'public', 'publickey',
]);

/** Why `name` cannot be a HAT name (SPEC 9), or null when it can. Expects it lower-cased. */
export function hatNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 30) return 'must be 3 to 30 characters long';
  if (!HAT_NAME_PATTERN.test(name)) {
    return 'may contain only lowercase letters, digits and single hyphens between them, and must start with a letter';
  }
  if (RESERVED_NAMES.has(name)) return 'is reserved; please choose another';
  return null;
}
