import type { Store } from './ports.js';

type AnyMethod = (...args: never[]) => unknown;

/** The store's groups of operations: each member that is an object of methods (hats, keys, grants, …). */
export type StoreGroup = {
  [K in keyof Store]: Store[K] extends AnyMethod ? never : Store[K] extends object ? K : never;
}[keyof Store];

/**
 * What one operation changes of the HAT records a process keeps in memory (services/hats.ts):
 * - a function of the operation's arguments giving the one HAT whose record it changes (its
 *   revision, password, disabling …, or its existence);
 * - `'every'`: any number of HATs, which cannot be named cheaply;
 * - `null`: no HAT's record.
 */
export type HatEffect<F> = F extends (...args: infer A) => unknown ? ((...args: A) => string) | 'every' | null : never;

/** One entry per operation of every group: a new port method does not compile until it is classified here. */
export type HatEffects = {
  readonly [G in StoreGroup]: { readonly [M in keyof Store[G]]-?: HatEffect<Store[G][M]> };
};

export const HAT_EFFECTS: HatEffects = {
  hats: {
    // Someone may have looked the name up a moment ago and been told there is no such HAT.
    create: (hat) => hat.name,
    find: null,
    findByEmail: null,
    revision: null,
    setPassword: (name) => name,
    // The remembered record holds the hash: it would be compared with the earlier one.
    replacePasswordHash: (name) => name,
    setDisabled: (name) => name,
    count: null,
  },
  keys: { list: null, add: (key) => key.hat },
  sessions: { get: null, set: null, update: null, destroy: null, destroyForHat: null, listLoggedIn: null },
  activity: { append: null, list: null, count: null },
  applications: { create: null, update: null, get: null, list: null, remove: null },
  grants: { get: null, list: null, put: (grant) => grant.hat, touch: null, removeForApplication: 'every' },
  approvals: { find: null, get: null, list: null, put: (approval) => approval.hat, remove: (hat) => hat, touch: null },
  records: { insert: null, read: null, clear: null, get: null, remove: null, update: null, sources: null },
  once: { claim: null },
  // Confirming an email changes the HAT's address (and revision).
  resets: { issue: null, find: null, claim: null, revoke: null, verifiedEmail: null, confirmEmail: (hat) => hat },
  oidc: {
    upsert: null,
    find: null,
    findByUid: null,
    findByUserCode: null,
    consume: null,
    destroy: null,
    revokeByGrantId: null,
    grants: null,
    grantFor: null,
    touchGrant: null,
  },
  keyRotation: { rotate: (key) => key.hat, retirements: null },
  hatAdmin: { names: null, counts: null, remove: (hat) => hat, clearLeftovers: null, reservedUntil: null },
};

/** Where a process hears of the changes its own writes make to HAT records. */
export interface HatChanges {
  /** `listener` hears the name of each HAT a write changed, once that write is over (done or failed). */
  onHatChanged(listener: (name: string) => void): void;
  /** `listener` hears of each write that may have changed any number of HATs (an application left the registry). */
  onEveryHatChanged(listener: () => void): void;
}

/**
 * Wraps the store so that every operation HAT_EFFECTS names is announced to the subscribers
 * after it: the one place a process drops what it remembers of a HAT, instead of each service
 * remembering to. A write that failed is announced too: it may have been applied before the
 * failure reached us, and forgetting costs one read. Changes made by other processes are seen
 * through the HAT's revision instead (REVISION_CHECK_MS).
 */
export function announcingHatChanges(store: Store): { store: Store; changes: HatChanges } {
  const hatListeners: Array<(name: string) => void> = [];
  const everyListeners: Array<() => void> = [];
  const announce = (effect: ((...args: unknown[]) => string) | 'every', args: unknown[]) => {
    if (effect === 'every') for (const listener of everyListeners) listener();
    else {
      const name = effect(...args);
      for (const listener of hatListeners) listener(name);
    }
  };
  const announcing = <G extends StoreGroup>(group: G): Store[G] => {
    const target = store[group] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const effects = HAT_EFFECTS[group] as unknown as Record<string, ((...args: unknown[]) => string) | 'every' | null>;
    const wrapped: Record<string, unknown> = {};
    for (const [name, effect] of Object.entries(effects)) {
      const method = target[name]!;
      wrapped[name] =
        effect === null
          ? method.bind(target)
          : async (...args: unknown[]) => {
              try {
                return await method.apply(target, args);
              } finally {
                announce(effect, args);
              }
            };
    }
    return wrapped as unknown as Store[G];
  };
  return {
    store: {
      kind: store.kind,
      hats: announcing('hats'),
      keys: announcing('keys'),
      sessions: announcing('sessions'),
      activity: announcing('activity'),
      applications: announcing('applications'),
      grants: announcing('grants'),
      approvals: announcing('approvals'),
      records: announcing('records'),
      once: announcing('once'),
      resets: announcing('resets'),
      oidc: announcing('oidc'),
      keyRotation: announcing('keyRotation'),
      hatAdmin: announcing('hatAdmin'),
      attempts: (name, windowSeconds, limit) => store.attempts(name, windowSeconds, limit),
      ping: () => store.ping(),
      close: () => store.close(),
    },
    changes: {
      onHatChanged: (listener) => void hatListeners.push(listener),
      onEveryHatChanged: (listener) => void everyListeners.push(listener),
    },
  };
}
