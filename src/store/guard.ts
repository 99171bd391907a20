import { Unavailable } from '../errors.js';
import type { Store } from './ports.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Wraps every operation of a store so that an error meaning "the datastore is not answering"
 * (each adapter says which of its errors those are) becomes Unavailable — 503 with the SPEC 3
 * body — instead of a 500. Other errors pass through unchanged. The original error is kept as
 * `cause`: it is logged, never shown.
 */
export function answeringOrUnavailable(store: Store, isUnavailable: (err: unknown) => boolean): Store {
  const translate = (err: unknown): never => {
    if (!isUnavailable(err)) throw err;
    throw new Unavailable('The datastore is not answering; please try again shortly', { cause: err });
  };
  const guard = <T extends object>(group: T): T => {
    const guarded: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(group)) {
      guarded[name] =
        typeof value === 'function'
          ? (...args: unknown[]) => Promise.resolve((value as AnyFunction).apply(group, args)).catch(translate)
          : value;
    }
    return guarded as T;
  };
  return {
    kind: store.kind,
    hats: guard(store.hats),
    keys: guard(store.keys),
    sessions: guard(store.sessions),
    activity: guard(store.activity),
    applications: guard(store.applications),
    grants: guard(store.grants),
    approvals: guard(store.approvals),
    records: guard(store.records),
    resets: guard(store.resets),
    once: guard(store.once),
    oidc: guard(store.oidc),
    keyRotation: guard(store.keyRotation),
    hatAdmin: guard(store.hatAdmin),
    attempts: (name, windowSeconds, limit) => guard(store.attempts(name, windowSeconds, limit)),
    // /healthz reads ping's own failure; closing is not a request.
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
